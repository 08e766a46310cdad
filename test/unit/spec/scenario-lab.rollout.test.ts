import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadLab } from '../../../src/spec/lab.js';
import { loadScenario, parseScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';
import { checkScenarioLab } from '../../../src/spec/scenario-lab.js';

/** The load's rules for a rollout's steps, each broken once: one line, exit 2, before anything runs. */

const update = await loadLab('lab/update.yaml');
const bootstrap = await loadLab('lab/bootstrap.yaml');
const UP = '  - up: { boot: install }\n  - copy-secrets\n  - bootstrap\n';

function refused(steps: string, lab = update): string {
  try {
    checkScenarioLab(parseScenario(`name: x\nlab: update\nsteps:\n${steps}`, 's.yaml'), lab);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    if (err.exitCode !== 2) throw new Error(`exit ${err.exitCode}`);
    return err.line();
  }
  throw new Error('the load accepted it');
}

const CASES: [title: string, steps: string, line: string, lab?: typeof update][] = [
  ['publish on a lab without updates', `${UP}  - publish: { version: 2.0.0 }\n`,
    "s.yaml: steps[3].publish: publish puts a release on the lab's update channel, and lab bootstrap has no updates: block. Fix: run it on a lab with updates (e.g. --lab update), or add updates: { channel: stable } to lab/bootstrap.yaml", bootstrap],
  ['publish before up', '  - publish: { version: 2.0.0 }\n  - up: { boot: install }\n',
    "s.yaml: steps[0].publish: publish serves the release from the lab's boot server, which runs only after an up step. Fix: add up: { boot: install } before it"],
  ['a watch before bootstrap', '  - up: { boot: install }\n  - watch: rollout\n  - bootstrap\n',
    's.yaml: steps[1].watch: watch: rollout reads the Kubernetes API, which exists only after a bootstrap step. Fix: add a bootstrap step before it'],
  ['a workload before bootstrap', '  - up: { boot: install }\n  - workload: { replicas: 3, pdb: { minAvailable: 2 } }\n',
    's.yaml: steps[1].workload: workload reads the Kubernetes API, which exists only after a bootstrap step. Fix: add a bootstrap step before it'],
  ['one-at-a-time with no watch before it', `${UP}  - check: one-at-a-time\n`,
    's.yaml: steps[3].check: one-at-a-time judges what a watch: rollout step recorded, and none comes before it. Fix: add - watch: rollout after bootstrap, before the release is published'],
  ['rollout-done with no watch before it', `${UP}  - { wait: rollout-done, version: 2.0.0 }\n`,
    's.yaml: steps[3].wait: rollout-done judges what a watch: rollout step recorded, and none comes before it. Fix: add - watch: rollout after bootstrap, before the release is published'],
  ['budget-kept with no workload', `${UP}  - watch: rollout\n  - check: budget-kept\n`,
    's.yaml: steps[4].check: budget-kept judges the workload, and no workload step comes before it. Fix: add - workload: { replicas: 3, pdb: { minAvailable: 2 } } before the rollout'],
  ['workload-answered with no workload', `${UP}  - check: workload-answered\n`,
    's.yaml: steps[3].check: workload-answered judges the workload, and no workload step comes before it. Fix: add - workload: { replicas: 3, pdb: { minAvailable: 2 } } before the rollout'],
  ['rollout-done for a version never published', `${UP}  - watch: rollout\n  - { wait: rollout-done, version: 2.0.0 }\n`,
    's.yaml: steps[4].version: rollout-done judges the rollout of 2.0.0, and no publish step after the watch publishes it. Fix: publish 2.0.0 after watch: rollout, or wait for a version the scenario publishes'],
  ['rollout-done for a version published before the watch', `${UP}  - publish: { version: 2.0.0 }\n  - watch: rollout\n  - { wait: rollout-done, version: 2.0.0 }\n`,
    's.yaml: steps[5].version: rollout-done judges the rollout of 2.0.0, and no publish step after the watch publishes it. Fix: publish 2.0.0 after watch: rollout, or wait for a version the scenario publishes'],
  ['rollout-paused for another version than the one published', `${UP}  - watch: rollout\n  - publish: { version: 2.0.0 }\n  - { wait: rollout-paused, version: 3.0.0 }\n`,
    's.yaml: steps[5].version: rollout-paused judges the rollout of 3.0.0, and no publish step after the watch publishes it. Fix: publish 3.0.0 after watch: rollout, or wait for a version the scenario publishes'],
  ['rollout-done for a release on a channel the nodes do not follow', `${UP}  - watch: rollout\n  - publish: { version: 2.0.0, channel: beta }\n  - { wait: rollout-done, version: 2.0.0 }\n`,
    "s.yaml: steps[5].version: rollout-done judges the rollout of 2.0.0, published on channel beta, and lab update's nodes follow channel stable. Fix: publish it on stable (remove channel: beta), or set updates: { channel: beta } in lab/update.yaml"],
  ['a second watch', `${UP}  - watch: rollout\n  - watch: rollout\n`,
    's.yaml: steps[4].watch: the rollout is watched from steps[3] on already. Fix: remove this watch step'],
  ['a second workload', `${UP}  - workload: { replicas: 2, pdb: { minAvailable: 1 } }\n  - workload: { replicas: 2, pdb: { minAvailable: 1 } }\n`,
    's.yaml: steps[4].workload: the workload is created at steps[3] already. Fix: remove this workload step'],
  ['more replicas than nodes', `${UP}  - workload: { replicas: 4, pdb: { minAvailable: 1 } }\n`,
    's.yaml: steps[3].workload.replicas: 4 replicas: the workload runs one pod per node, and lab update has 3 nodes. Fix: use at most 3'],
];

for (const [title, steps, line, lab] of CASES) {
  test(`the load refuses ${title}`, (t) => {
    t.is(refused(steps, lab), line);
  });
}

test('scenarios/update.yaml fits lab/update.yaml, and not the two nodes of lab/bootstrap.yaml', async (t) => {
  const scenario = await loadScenario(resolveScenarioFile('update'));
  t.notThrows(() => checkScenarioLab(scenario, update));
  t.is(
    t.throws(() => checkScenarioLab(scenario, bootstrap), { instanceOf: SpecError }).line(),
    'scenarios/update.yaml: steps[2].workload.replicas: 3 replicas: the workload runs one pod per node, and lab bootstrap has 2 nodes. Fix: use at most 2',
  );
});
