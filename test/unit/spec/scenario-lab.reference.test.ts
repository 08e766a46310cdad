import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { LAB_DIR } from '../../../src/spec/lab.js';
import { parseScenario } from '../../../src/spec/scenario.js';
import { scenarioLab } from '../../../src/spec/scenario-lab.js';
import { tempDir } from '../../support/temp-dir.js';

/** A scenario's lab: is a short name from lab/, or a path from the scenario's own dir, wherever the command runs. */

const LAB = 'id: near\nnetwork: { bridge: ml-near0, subnet: 10.9.0.0/24 }\nnodes:\n  - { name: n1, role: worker, mac: "52:54:00:00:00:01", ip: 10.9.0.10 }\n';
const scenarioIn = (dir: string, lab: string) => parseScenario(`name: x\nlab: ${lab}\nsteps: [up]\n`, path.join(dir, 'scenarios', 'x.yaml'));

test('a path is read from the scenario file\'s directory, not the working directory', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, 'labs'));
  await fs.writeFile(path.join(dir, 'labs', 'near.yaml'), LAB);
  const lab = await scenarioLab(scenarioIn(dir, '../labs/near.yaml'));
  t.is(lab.id, 'near');
  t.is(lab.file, path.join(dir, 'labs', 'near.yaml'));
});

test('a short name is a lab from lab/, as on the command line', async (t) => {
  const lab = await scenarioLab(scenarioIn(await tempDir(t), 'mini'));
  t.is(lab.file, path.join(LAB_DIR, 'mini.yaml'));
});

test('a lab that is not there is the scenario\'s lab: field, naming the file looked for', async (t) => {
  const dir = await tempDir(t);
  const err = await t.throwsAsync(scenarioLab(scenarioIn(dir, '../labs/gone.yaml')), { instanceOf: SpecError });
  t.is(err.exitCode, 2);
  t.is(err.field, 'lab');
  t.is(
    err.line(),
    `${dir}/scenarios/x.yaml: lab: ${dir}/labs/gone.yaml: no such lab file. Fix: set lab to a lab file path (relative to ${dir}/scenarios) or one of: bootstrap, etcd, ha, mini, talk, update`,
  );
  const named = await t.throwsAsync(scenarioLab(scenarioIn(dir, 'gone')), { instanceOf: SpecError });
  t.is(named.message, `${dir}/scenarios/x.yaml: lab: lab/gone.yaml: no such lab file`);
});
