import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadLab, parseLab } from '../../../src/spec/lab.js';
import { up, upActions } from '../../../src/lab/up.js';
import { LabError } from '../../../src/errors.js';

test('installing to disk on a UEFI node is refused before anything is created', async (t) => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-guard-'));
  process.env.METAL_LAB_HOME = home;
  const lab = parseLab(
    'id: guard\nnetwork: { bridge: ml-guard0, subnet: 172.27.0.0/24 }\nnodes:\n  - { name: node1, role: controller, mac: "52:54:00:a1:9c:ae", ip: 172.27.0.21, firmware: uefi }\n',
    'guard.yaml',
  );
  const err = await t.throwsAsync(up(lab, { boot: 'install' }), { instanceOf: LabError });
  t.is(err!.exitCode, 2);
  t.regex(err!.line(), /node1 boots UEFI, and installing to disk supports BIOS nodes only so far\. Fix: set firmware: bios/);
  t.deepEqual(await fs.readdir(home), [], 'no lab state was created');
  await fs.rm(home, { recursive: true, force: true });
});

test('a lab with Kubernetes and updates builds the update operator and the rollout guard images first; other labs neither', async (t) => {
  const names = (lab: Parameters<typeof upActions>[0]) => upActions(lab, 'install').flat().map((a) => a.name);
  t.deepEqual(names(await loadLab('update')).slice(0, 7), [
    'preflight',
    'update operator image',
    'rollout guard image',
    'labos live image',
    'labos disk image',
    'kubernetes binaries',
    'container images',
  ]);
  for (const other of ['bootstrap', 'etcd']) {
    const found = names(await loadLab(other));
    t.false(found.includes('update operator image') || found.includes('rollout guard image'), other);
  }
});
