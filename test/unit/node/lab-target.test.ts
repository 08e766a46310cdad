import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { LabError } from '../../../src/errors.js';
import { labFromArg } from '../../../src/cli/resolve.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { nodeSshTarget } from '../../../src/node/lab-target.js';
import { newSshKeyPair } from '../../../src/pki/ssh.js';
import { tempDir } from '../../support/temp-dir.js';

test('nodeSshTarget: the node address, the lab key and known_hosts, user core', async (t) => {
  const home = await tempDir(t);
  process.env.METAL_LAB_HOME = home;
  const lab = await labFromArg('mini');
  const node = lab.nodes[0]!;
  const paths = hostLayout().lab(lab.id);
  await t.throwsAsync(nodeSshTarget(lab, node, paths), { instanceOf: LabError, message: /lab mini has no SSH key/ });
  t.is(paths.knownHosts, path.join(home, 'labs/mini/known_hosts'));
  // The key as the lab's PKI writes it.
  await fs.mkdir(path.dirname(paths.sshKey), { recursive: true });
  await fs.writeFile(paths.sshKey, newSshKeyPair(lab.id).privateKey, { mode: 0o600 });
  const target = await nodeSshTarget(lab, node, paths);
  t.deepEqual({ ...target, privateKey: undefined }, {
    host: node.ip, port: 22, user: 'core', privateKey: undefined, knownHostsFile: paths.knownHosts, hostAlias: node.name, silenceMs: 30_000,
  });
  // Under TCG (timeouts x6) a node may stay silent for 3 minutes before its connection counts as lost.
  t.is((await nodeSshTarget(lab, node, paths, 6)).silenceMs, 180_000);
  t.deepEqual(target.privateKey, await fs.readFile(paths.sshKey));
});
