import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseLab } from '../../../src/spec/lab.js';
import { up } from '../../../src/lab/up.js';
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
