import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { splitRef, writeOciArchive } from '../../../../src/images/oci/layout.js';
import { imageSpec, makeTree } from '../../../support/oci-image.js';
import { tempDir } from '../../../support/temp-dir.js';

test('same inputs give byte-identical archives; a changed file changes only its layer', async (t) => {
  const dir = await tempDir(t, 'oci-layout-test-');
  const tree = await makeTree(dir);
  // Any file stands in for busybox here: nothing runs the image.
  const busybox = path.join(dir, 'busybox');
  await writeFile(busybox, '#!/bin/sh\n');
  const spec = (message: string) => imageSpec(tree, message, busybox);
  const a = await writeOciArchive(spec('one'), path.join(dir, 'a.tar'));
  const b = await writeOciArchive(spec('one'), path.join(dir, 'b.tar'));
  const c = await writeOciArchive(spec('two'), path.join(dir, 'c.tar'));
  t.is(a.digest, b.digest);
  t.true((await readFile(a.archive)).equals(await readFile(b.archive)));
  t.not(c.digest, a.digest);
  t.not(c.layers[0]?.digest, a.layers[0]?.digest);
  t.is(c.layers[1]?.digest, a.layers[1]?.digest);
});

test('references must carry a valid tag', (t) => {
  t.deepEqual(splitRef('metal-lab.local/kube-proxy:v1.20.2'), { name: 'metal-lab.local/kube-proxy', tag: 'v1.20.2' });
  t.deepEqual(splitRef('localhost:5000/x:1.35.0-4'), { name: 'localhost:5000/x', tag: '1.35.0-4' });
  t.throws(() => splitRef('metal-lab.local/kube-proxy'), { message: /with a tag/ });
  t.throws(() => splitRef('metal-lab.local/busybox:1:1.35+b1'), { message: /with a tag/ });
});
