import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadLab } from '../../../src/spec/lab.js';
import { loadScenario, parseScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';
import { checkScenarioLab } from '../../../src/spec/scenario-lab.js';

/** Fault steps and the etcd writer: typed at parse, held to the lab they run on at load. */

const etcd = await loadLab('lab/etcd.yaml');
const mini = await loadLab('lab/mini.yaml');
const bootstrap = await loadLab('lab/bootstrap.yaml');
const parse = (steps: string) => parseScenario(`name: x\nlab: etcd\nsteps:\n${steps}`, 's.yaml');

function refused(steps: string, lab = etcd): string {
  try {
    checkScenarioLab(parse(steps), lab);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return err.line();
  }
  throw new Error('accepted');
}

test('every fault step parses to its fault, with a recovery limit', (t) => {
  const s = parse(
    '  - up: { boot: install }\n  - link: { node: node2, state: down }\n  - partition: { between: [[node1], [node2, node3]] }\n  - heal\n' +
      '  - netem: { node: node2, delay: 1s, loss: 0.5% }\n  - netem: { node: node2, clear: true }\n  - boot-server: restart\n  - copy-secrets\n' +
      '  - kill: { node: node1, unit: etcd }\n    timeout: 2m\n  - clock: { node: node3, offset: -2h }\n  - disk-full: { node: node3, path: /var/lib/etcd }\n' +
      '  - disk-free: { node: node3, path: /var/lib/etcd }\n  - etcd-replace: { node: node1 }\n  - pause: 1m\n',
  );
  const fault = (i: number) => s.steps[i]!.kind === 'fault' && s.steps[i];
  t.deepEqual(fault(1), { kind: 'fault', fault: { kind: 'link', node: 'node2', state: 'down' }, timeoutS: 60 });
  t.deepEqual(fault(2), { kind: 'fault', fault: { kind: 'partition', between: [['node1'], ['node2', 'node3']] }, timeoutS: 60 });
  t.deepEqual(fault(3), { kind: 'fault', fault: { kind: 'heal' }, timeoutS: 60 });
  t.deepEqual(fault(4), { kind: 'fault', fault: { kind: 'netem', node: 'node2', delayMs: 1000, loss: 0.005 }, timeoutS: 60 });
  t.deepEqual(fault(5), { kind: 'fault', fault: { kind: 'netem', node: 'node2' }, timeoutS: 60 }, 'clear: no delay and no loss');
  t.deepEqual(fault(6), { kind: 'fault', fault: { kind: 'boot-server', action: 'restart' }, timeoutS: 60 });
  t.deepEqual(fault(8), { kind: 'fault', fault: { kind: 'kill', node: 'node1', unit: 'etcd' }, timeoutS: 120 });
  t.deepEqual(fault(9), { kind: 'fault', fault: { kind: 'clock', node: 'node3', offsetS: -7200 }, timeoutS: 60 });
  t.deepEqual(fault(12), { kind: 'fault', fault: { kind: 'etcd-replace', node: 'node1' }, timeoutS: 60 });
  t.deepEqual(s.steps[13], { kind: 'pause', seconds: 60 });
  t.notThrows(() => checkScenarioLab(s, etcd));
});

test('scenarios/faults.yaml is nightly, on the etcd lab, and holds every fault', async (t) => {
  const s = await loadScenario(resolveScenarioFile('faults'));
  t.is(s.set, 'nightly');
  t.notThrows(() => checkScenarioLab(s, etcd));
  const kinds = new Set(s.steps.flatMap((x) => (x.kind === 'fault' ? [x.fault.kind] : [])));
  t.deepEqual([...kinds].sort(), ['boot-server', 'clock', 'disk-free', 'disk-full', 'etcd-replace', 'heal', 'kill', 'link', 'netem', 'partition']);
});

test('a fault needs a running lab, and SSH faults need installed nodes', (t) => {
  t.regex(refused('  - heal\n  - up\n'), /steps\[0\]\.heal: heal acts on a running lab, and no up step comes before it\. Fix: add up: \{ boot: install \} before it/);
  t.regex(refused('  - up\n  - clock: { node: node1, offset: 5m }\n'), /steps\[1\]\.clock: clock acts on the node over SSH, which live nodes do not run\. Fix: boot the nodes with up: \{ boot: install \}/);
  t.notThrows(() => checkScenarioLab(parse('  - up\n  - link: { node: node1, state: down }\n  - partition: { between: [[node1], [node2]] }\n'), etcd), 'the host does these to live nodes too');
});

test("a fault is held to the lab's nodes and roles", (t) => {
  t.regex(refused('  - up: { boot: install }\n  - partition: { between: [[node1], [node4]] }\n'), /steps\[1\]\.partition\.between\[1\]\[0\]: node node4 is not in lab etcd/);
  t.regex(refused('  - up: { boot: install }\n  - kill: { node: node1, unit: kubelet }\n'), /steps\[1\]\.kill\.unit: kubelet runs on Kubernetes nodes, and lab etcd has no kubernetes: block/);
  t.regex(refused('  - up: { boot: install }\n  - kill: { node: node2, unit: etcd }\n', bootstrap), /steps\[1\]\.kill\.node: etcd runs on controllers only, and node2 is not a controller of lab bootstrap\. Fix: use a controller: node1/);
  t.regex(refused('  - up: { boot: install }\n  - etcd-replace: { node: node1 }\n', bootstrap), /replacing a member needs the others to keep quorum, and lab bootstrap has 1 controller/);
  t.regex(refused('  - up: { boot: install }\n  - etcd-replace: { node: node2 }\n', mini), /lab mini has 1 controller\. Fix: run it on a lab with 3 controllers or more/);
});

test('etcd writes: one writer, started after up, judged after it', (t) => {
  t.notThrows(() => checkScenarioLab(parse('  - up: { boot: install }\n  - copy-secrets\n  - watch: etcd-writes\n  - link: { node: node3, state: down }\n  - check: etcd-writes-kept\n'), etcd));
  t.regex(refused('  - watch: etcd-writes\n  - up: { boot: install }\n'), /steps\[0\]\.watch: etcd-writes writes to the lab's etcd, which runs only after an up step/);
  t.regex(refused('  - up: { boot: install }\n  - copy-secrets\n  - check: etcd-writes-kept\n'), /steps\[2\]\.check: etcd-writes-kept judges the writes a watch: etcd-writes step makes, and none comes before it/);
});
