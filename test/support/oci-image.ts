import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OciImageSpec } from '../../src/images/oci/layout.js';

export const REF = 'metal-lab.local/layout-test:v1.2.3';

/** A host tree with what a Debian unpack holds: nested dirs, modes, a relative symlink, a hard link. */
export async function makeTree(dir: string): Promise<string> {
  const tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'usr/lib/empty'), { recursive: true });
  await mkdir(path.join(tree, 'usr/sbin'), { recursive: true });
  await writeFile(path.join(tree, 'usr/sbin/tool'), '#!/bin/sh\necho tool\n', { mode: 0o750 });
  await link(path.join(tree, 'usr/sbin/tool'), path.join(tree, 'usr/sbin/tool-hardlink'));
  await symlink('tool', path.join(tree, 'usr/sbin/tool-alias'));
  return tree;
}

/** An image of every kind of entry plus `tree`; its /bin/busybox is the host's, to run it. */
export function imageSpec(tree: string, message: string, busybox = '/bin/busybox'): OciImageSpec {
  return {
    ref: REF,
    config: { entrypoint: ['/bin/sh', '-c'], cmd: ['cat /etc/message'], env: ['PATH=/bin:/usr/sbin'], workingDir: '/etc' },
    layers: [
      {
        createdBy: 'entries',
        entries: [
          { path: '/bin/busybox', file: busybox, mode: 0o755 },
          { path: 'bin/sh', symlink: 'busybox' },
          { path: 'bin/cat', symlink: '/bin/busybox' },
          { path: 'etc/message', contents: message },
          { path: 'etc/secret', contents: 's', mode: 0o600 },
          { path: 'tmp', dir: true, mode: 0o1777 },
        ],
      },
      { createdBy: 'tree', dir: tree },
    ],
  };
}
