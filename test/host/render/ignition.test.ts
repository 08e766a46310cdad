import { renderNodeIgnition } from '../../../src/render/ignition.js';
import { IGNITION_VALIDATE, ignitionValidate, nodeIgnition } from '../../support/node-ignition.js';
import { needs } from '../../support/needs.js';

const test = needs(IGNITION_VALIDATE);
const { lab, dir, pki, render } = await nodeIgnition('talk');

test('every node config passes ignition-validate with no warnings', async (t) => {
  for (const n of lab.nodes) {
    const r = await ignitionValidate(dir, renderNodeIgnition(lab, n, pki, { timeoutScale: 6 }));
    t.is(r.exitCode, 0, `${n.name}: ${r.output}`);
    t.is(r.output.trim(), '', `${n.name}: ${r.output}`);
  }
});

test('ignition-validate is not a rubber stamp: a broken config fails', async (t) => {
  const broken = { ...render('node1'), storage: { files: [{ path: 'relative/path', contents: { source: 'data:,x' } }] } };
  t.not((await ignitionValidate(dir, broken)).exitCode, 0);
});
