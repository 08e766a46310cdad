import test from 'ava';
import { flatSteps, loadScenario, parseScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';
import { SpecError } from '../../../src/errors.js';

test('scenarios/pxe-boot.yaml loads into typed steps', async (t) => {
  const s = await loadScenario(resolveScenarioFile('pxe-boot'));
  t.is(s.name, 'pxe-boot');
  t.is(s.lab, 'mini');
  t.deepEqual(s.steps, [
    { kind: 'up', boot: 'live' },
    { kind: 'wait', stage: 'userspace', timeoutS: 60 },
    { kind: 'check', check: 'dhcp-lease' },
    { kind: 'check', check: 'boot-chain' },
    { kind: 'check', check: 'userspace' },
  ]);
});

const bad = (yaml: string) => {
  try {
    parseScenario(yaml, 's.yaml');
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error('accepted a bad scenario');
};

test('an unknown check is refused, naming the step and the known checks', (t) => {
  const err = bad('name: x\nlab: mini\nsteps:\n  - up\n  - check: dchp-lease\n');
  t.is(err.exitCode, 2);
  t.regex(err.line(), /^s\.yaml: steps\[1\]\.check: "dchp-lease" is not one of dhcp-lease, boot-chain, userspace, .*Fix: did you mean "dhcp-lease"\?/);
});

test('a bad timeout says how to write one', (t) => {
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - wait: userspace\n    timeout: soon\n').line(), /steps\[0\]\.timeout: .*90s or 5m/);
});

test('minutes convert to seconds; the timeout defaults to 60 s', (t) => {
  const s = parseScenario('name: x\nlab: mini\nsteps:\n  - wait: userspace\n    timeout: 5m\n  - wait: userspace\n', 's.yaml');
  t.deepEqual(s.steps, [
    { kind: 'wait', stage: 'userspace', timeoutS: 300 },
    { kind: 'wait', stage: 'userspace', timeoutS: 60 },
  ]);
});

test('a scenario without steps, or with an unknown field, is refused', (t) => {
  t.regex(bad('name: x\nlab: mini\nsteps: []\n').line(), /steps: is empty/);
  t.regex(bad('name: x\nlab: mini\nlabs: talk\nsteps: [up]\n').line(), /labs: unknown field "labs"/);
});

test('an unknown step word, or a step of two kinds, is refused', (t) => {
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - up\n  - dwon\n').line(), /steps\[1\]\.dwon: unknown field "dwon"/);
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - { wait: userspace, check: userspace }\n').line(), /steps\[0\]: a step is exactly one of up, copy-secrets, wait, check, poweroff, poweron, bootstrap, reboot, publish, watch, workload, resume, pause, link, partition, heal, netem, boot-server, kill, clock, disk-full, disk-free, etcd-replace \(got wait, check\)/);
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - { check: userspace, timeout: 5m }\n').line(), /steps\[0\]\.timeout: timeout belongs to a wait, bootstrap, resume or fault step/);
});

test('scenarios/etcd-cluster.yaml: install boot, waits and checks on listed nodes, power faults', async (t) => {
  const s = await loadScenario(resolveScenarioFile('etcd-cluster'));
  t.is(s.lab, 'etcd');
  t.deepEqual(s.steps[0], { kind: 'up', boot: 'install' });
  t.true(s.steps.some((x) => x.kind === 'power' && x.action === 'off' && x.node === 'node2'));
  t.true(s.steps.some((x) => x.kind === 'wait' && x.stage === 'etcd-health' && x.nodes?.join() === 'node1,node3'));
  t.true(s.steps.some((x) => x.kind === 'wait' && x.stage === 'etcd-health' && x.nodes?.join() === 'node2'));
});

test('nodes on a lab-wide check, or on a power step, are refused', (t) => {
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - { check: etcd-members, nodes: [node1] }\n').line(), /steps\[0\]\.nodes: etcd-members checks the whole lab; it takes no nodes/);
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - { poweroff: node1, nodes: [node1] }\n').line(), /steps\[0\]\.nodes: nodes belongs to a wait or check step/);
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - up: { boot: disk }\n').line(), /steps\[0\]\.up/);
});

test('scenarios/bootstrap.yaml: bootstrap with its own limit inside the resume, reboot of every node, the Kubernetes checks', async (t) => {
  const s = await loadScenario(resolveScenarioFile('bootstrap'));
  t.deepEqual(flatSteps(s.steps).map((f) => f.step).find((x) => x.kind === 'bootstrap'), { kind: 'bootstrap', timeoutS: 600 });
  t.deepEqual(s.steps.find((x) => x.kind === 'reboot'), { kind: 'reboot' });
  const checks = s.steps.flatMap((x) => (x.kind === 'check' ? [x.check] : []));
  for (const c of ['node-ready', 'kubelet-health', 'self-hosted', 'pod-network', 'apiserver-recovers'] as const) t.true(checks.includes(c), c);
});

test('bootstrap defaults to bootkube\'s 20 minutes; reboot takes a node list; a timeout on reboot is refused', (t) => {
  const parse = (steps: string) => parseScenario(`name: x\nlab: mini\nsteps:\n${steps}`, 's.yaml').steps;
  t.deepEqual(parse('  - bootstrap\n'), [{ kind: 'bootstrap', timeoutS: 1200 }]);
  t.deepEqual(parse('  - reboot: [node1, node2]\n'), [{ kind: 'reboot', nodes: ['node1', 'node2'] }]);
  t.regex(bad('name: x\nlab: mini\nsteps:\n  - { reboot: all, timeout: 5m }\n').line(), /timeout belongs to a wait, bootstrap, resume or fault step/);
});

test('a field inside an either-or (up: true or up: {boot}, reboot: all or a list) is described from the option of its kind', (t) => {
  const step = (yaml: string) => bad(`name: x\nlab: mini\nsteps:\n  - ${yaml}\n`).line();
  t.is(step('up: { boot: install, bot: live }'), 's.yaml: steps[0].up.bot: unknown field "bot" (line 4, col 31). Fix: did you mean "boot"?');
  t.is(step('up: { boto: install }'), 's.yaml: steps[0].up.boto: unknown field "boto" (line 4, col 17). Fix: did you mean "boot"?');
  t.is(step('up: { boot: disk }'), 's.yaml: steps[0].up.boot: "disk" is not one of live, install (line 4, col 17). Fix: use live or install');
  t.is(step('up: 5'), 's.yaml: steps[0].up: expected true or a mapping, got number 5 (line 4, col 9). Fix: use up alone, or up: {boot: install}');
  t.is(step('reboot: some'), 's.yaml: steps[0].reboot: expected all or a list, got string "some" (line 4, col 13). Fix: use all, or a list of node names such as [node1, node2]');
  t.is(step('reboot: [Node1]'), 's.yaml: steps[0].reboot[0]: not a node name: lower-case letters, digits and "-", starting with a letter (line 4, col 14). Fix: use all, or a list of node names such as [node1, node2]');
});

test('names, the lab and the description are told in words, not as a regular expression or a length', (t) => {
  t.is(bad('name: Boot\nlab: mini\nsteps: [up]\n').line(), 's.yaml: name: not a scenario name: lower-case letters, digits and "-", starting with a letter (line 1, col 7). Fix: use a lower-case name such as pxe-boot');
  t.is(bad('name: x\nlab: ""\nsteps: [up]\n').line(), 's.yaml: lab: is empty (line 2, col 6). Fix: give a lab name from lab/ (mini, talk) or a lab file path');
  t.is(bad('name: x\ndescription: [a]\nlab: mini\nsteps: [up]\n').line(), 's.yaml: description: expected a string, got a list (line 2, col 14). Fix: use a line of text');
  t.is(bad('name: x\nlab: mini\nsteps:\n  - poweroff: Node2\n').line(), 's.yaml: steps[0].poweroff: not a node name: lower-case letters, digits and "-", starting with a letter (line 4, col 15). Fix: use a node name such as node2');
});
