import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { flatSteps, loadScenario, parseScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';

/** The steps of a rollout: publish, watch, the rollout waits and checks, the workload. */

const parse = (steps: string) => parseScenario(`name: x\nlab: update\nsteps:\n${steps}`, 's.yaml').steps;

/** The one line a bad step gets: exit 2, file, field, line and column, problem, fix. */
function refused(steps: string): string {
  try {
    parse(steps);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    if (err.exitCode !== 2) throw new Error(`exit ${err.exitCode}`);
    return err.line();
  }
  throw new Error('accepted a bad scenario');
}

test('publish: a version, with a kernel and a channel or neither, or broken', (t) => {
  t.deepEqual(parse('  - publish: { version: 2.0.0, kernel: linux-image-amd64, channel: beta }\n  - publish: { version: 2.1.0-rc.1 }\n  - publish: { version: 3.0.0, broken: true }\n'), [
    { kind: 'publish', version: '2.0.0', kernel: 'linux-image-amd64', channel: 'beta' },
    { kind: 'publish', version: '2.1.0-rc.1' },
    { kind: 'publish', version: '3.0.0', broken: true },
  ]);
});

test('watch, the rollout waits with their version and timeout, the rollout checks, the workload', (t) => {
  t.deepEqual(parse([
    '  - watch: rollout',
    '  - workload: { replicas: 3, pdb: { minAvailable: 2 }, errorBudget: 0.5% }',
    '  - workload: { replicas: 2, pdb: { minAvailable: 1 } }',
    '  - { wait: rollout-done, version: 2.0.0, timeout: 25m }',
    '  - { wait: rollout-paused, version: 3.0.0 }',
    '  - check: one-at-a-time',
    '  - check: budget-kept',
    '  - check: workload-answered',
  ].join('\n')), [
    { kind: 'watch', what: 'rollout' },
    { kind: 'workload', replicas: 3, minAvailable: 2, errorBudget: 0.005 },
    { kind: 'workload', replicas: 2, minAvailable: 1, errorBudget: 0.01 },
    { kind: 'rollout', until: 'done', version: '2.0.0', timeoutS: 1500 },
    { kind: 'rollout', until: 'paused', version: '3.0.0', timeoutS: 60 },
    { kind: 'check', check: 'one-at-a-time' },
    { kind: 'check', check: 'budget-kept' },
    { kind: 'check', check: 'workload-answered' },
  ]);
});

const BAD: [title: string, steps: string, line: string][] = [
  ['a version that is not MAJOR.MINOR.PATCH (checkVersion\'s words)', '  - publish: { version: "2.0" }\n',
    's.yaml: steps[0].publish.version: version "2.0" is not MAJOR.MINOR.PATCH (line 4, col 25). Fix: pass a version such as 2.0.0 or 2.1.0-rc.1'],
  ['a version YAML reads as a number', '  - publish: { version: 2.0 }\n',
    's.yaml: steps[0].publish.version: expected a string, got number 2 (line 4, col 25). Fix: use a release version such as 2.0.0'],
  ['a kernel that is no kernel package (apt would read it as an option)', '  - publish: { version: 2.0.0, kernel: "-o foo" }\n',
    's.yaml: steps[0].publish.kernel: not a Debian kernel package (linux-image-...) (line 4, col 40). Fix: use a Debian kernel package such as linux-image-amd64'],
  ['a channel that is no channel name (checkChannel\'s words)', '  - publish: { version: 2.0.0, channel: Stable }\n',
    "s.yaml: steps[0].publish.channel: channel \"Stable\" is not a channel name (line 4, col 41). Fix: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. stable, beta)"],
  ['a broken release with a kernel', '  - publish: { version: 3.0.0, broken: true, kernel: linux-image-amd64 }\n',
    "s.yaml: steps[0].publish.kernel: a broken release is derived from the channel's current one and keeps its kernel (line 4, col 54). Fix: remove kernel, or broken"],
  ['a misspelt field', '  - publish: { versoin: 3.0.0 }\n',
    's.yaml: steps[0].publish.versoin: unknown field "versoin" (line 4, col 25). Fix: did you mean "version"?'],
  ['publish without a release', '  - publish\n',
    's.yaml: steps[0].publish: expected a mapping, got boolean true (line 4, col 5). Fix: use a release such as {version: 2.0.0, kernel: linux-image-amd64, channel: stable}, or {version: 3.0.0, broken: true}'],
  ['a watch of something else', '  - watch: nodes\n',
    's.yaml: steps[0].watch: "nodes" is not one of rollout, etcd-writes (line 4, col 12). Fix: use rollout or etcd-writes'],
  ['a rollout wait without its version', '  - wait: rollout-done\n',
    's.yaml: steps[0].version: rollout-done needs the release it is about (line 4, col 5). Fix: add version: <the version a publish step published>, e.g. version: 2.0.0'],
  ['a rollout wait on nodes', '  - { wait: rollout-paused, version: 3.0.0, nodes: [node1] }\n',
    's.yaml: steps[0].nodes: rollout-paused waits on the whole lab; it takes no nodes (line 4, col 52). Fix: remove nodes'],
  ['a version on another step', '  - { wait: node-ready, version: 3.0.0 }\n',
    's.yaml: steps[0].version: version belongs to a rollout-done or rollout-paused wait (line 4, col 34). Fix: remove version (a publish step takes its own: publish: { version: 2.0.0 })'],
  ['a rollout check on nodes', '  - { check: one-at-a-time, nodes: [node1] }\n',
    's.yaml: steps[0].nodes: one-at-a-time checks the whole lab; it takes no nodes (line 4, col 36). Fix: remove nodes'],
  ['a budget that lets no node drain', '  - workload: { replicas: 3, pdb: { minAvailable: 3 } }\n',
    's.yaml: steps[0].workload.pdb.minAvailable: minAvailable 3 of 3 replicas leaves no pod to evict, so no node could ever drain (line 4, col 51). Fix: use at most 2, or more replicas'],
  ['a workload without its budget', '  - workload: { replicas: 3 }\n',
    's.yaml: steps[0].workload.pdb: is missing (line 4, col 15). Fix: add steps[0].workload.pdb: a PodDisruptionBudget such as {minAvailable: 2}'],
  ['an error budget that is no percentage', '  - workload: { replicas: 3, pdb: { minAvailable: 1 }, errorBudget: 101% }\n',
    's.yaml: steps[0].workload.errorBudget: not a percentage: write e.g. 1% or 0.5% (line 4, col 69). Fix: use the share of probes that may fail, e.g. 1%'],
];

for (const [title, steps, line] of BAD) {
  test(`refused with one line: ${title}`, (t) => {
    t.is(refused(steps), line);
  });
}

test('scenarios/update.yaml: the rollout of 2.0.0 watched and judged, then a 3.0.0 that cannot boot', async (t) => {
  const s = await loadScenario(resolveScenarioFile('update'));
  t.is(s.lab, 'update');
  const from = s.steps.findIndex((x) => x.kind === 'workload');
  t.deepEqual(s.steps.slice(from), [
    { kind: 'workload', replicas: 3, minAvailable: 2, errorBudget: 0.02 },
    { kind: 'watch', what: 'rollout' },
    { kind: 'publish', version: '2.0.0', kernel: 'linux-image-amd64' },
    { kind: 'rollout', until: 'done', version: '2.0.0', timeoutS: 1500 },
    { kind: 'check', check: 'one-at-a-time' },
    { kind: 'check', check: 'budget-kept' },
    { kind: 'check', check: 'workload-answered' },
    { kind: 'publish', version: '3.0.0', broken: true },
    { kind: 'rollout', until: 'paused', version: '3.0.0', timeoutS: 1200 },
    { kind: 'check', check: 'one-at-a-time' },
    { kind: 'check', check: 'budget-kept' },
    { kind: 'check', check: 'workload-answered' },
  ]);
  t.deepEqual(s.steps.slice(0, from).map((x) => x.kind), ['resume', 'check']);
  t.deepEqual(flatSteps(s.steps.slice(0, 1)).map((f) => f.step.kind), ['up', 'wait', 'check', 'wait', 'copy-secrets', 'wait', 'bootstrap', 'wait']);
});
