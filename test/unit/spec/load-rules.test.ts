import test, { type ExecutionContext } from 'ava';
import { SpecError } from '../../../src/errors.js';
import { controlPlane } from '../../../src/ground/lab-model.js';
import { checkBootMode } from '../../../src/spec/boot-mode.js';
import { loadLab, parseLab } from '../../../src/spec/lab.js';
import { loadScenario, parseScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';
import { checkScenarioLab } from '../../../src/spec/scenario-lab.js';

/** A valid Kubernetes lab; each case below breaks exactly one thing in it. */
const KUBE = `id: k1
network: { bridge: ml-k1, subnet: 10.6.0.0/24 }
kubernetes: {}
nodes:
  - { name: c1, role: controller, mac: "52:54:00:00:00:01", ip: 10.6.0.10 }
  - { name: w1, role: worker, mac: "52:54:00:00:00:02", ip: 10.6.0.11 }
`;
const FILE = 'lab/k1.yaml';

function edit(from: string, to: string): string {
  if (!KUBE.includes(from)) throw new Error(`fixture edit: ${from} not in KUBE`);
  return KUBE.replace(from, to);
}

/** The one-line error of a check: a SpecError, exit 2, naming the file and the field, with a fix. */
function specError(t: ExecutionContext, check: () => unknown, file: string, field: string): SpecError {
  const err = t.throws(check, { instanceOf: SpecError });
  t.is(err.exitCode, 2);
  t.is(err.field, field);
  t.true(err.message.startsWith(`${file}: ${field}: `), err.message);
  t.false(err.line().includes('\n'), 'one line');
  return err;
}

test('the Kubernetes fixture itself is valid; its API name is cluster.<domain>, resolving to every controller', (t) => {
  const lab = parseLab(edit('ip: 10.6.0.11 }', 'ip: 10.6.0.11 }\n  - { name: c2, role: controller, mac: "52:54:00:00:00:03", ip: 10.6.0.12 }'), FILE);
  t.deepEqual(lab.kubernetes, { version: 'v1.20.2', apiName: 'cluster.example.com' });
  t.deepEqual(lab.dns.filter((d) => d.name === 'cluster.example.com').map((d) => d.ip), ['10.6.0.10', '10.6.0.12']);
  t.like(controlPlane(lab), { apiServerUrl: 'https://cluster.example.com:6443', frontDoorUrl: 'https://10.6.0.1:6443' });
});

const labCases: [title: string, text: string, field: string, problem: RegExp, fix: RegExp][] = [
  ['a UEFI node in a Kubernetes lab', edit('ip: 10.6.0.11 }', 'ip: 10.6.0.11, firmware: uefi }'), 'nodes[1].firmware',
    /w1 boots UEFI, and a Kubernetes lab installs labos to disk, which supports BIOS nodes only so far \(line 6, col \d+\)/, /firmware: bios/],
  ['UEFI by default in a Kubernetes lab', `${KUBE}defaults: { firmware: uefi }\n`, 'defaults.firmware', /c1 boots UEFI/, /firmware: bios/],
  ['a Kubernetes lab with no controller', edit('role: controller', 'role: worker'), 'nodes',
    /no node has role: controller, and Kubernetes runs its control plane on the first one/, /give at least one node role: controller/],
  ['a Kubernetes version the render has no flags for', edit('kubernetes: {}', 'kubernetes: { version: v2.0.0 }'), 'kubernetes.version',
    /"v2\.0\.0" is not a valid Kubernetes version/, /v1\.<minor>\.<patch>/],
  ['a Kubernetes version that Debian\'s source does not build', edit('kubernetes: {}', 'kubernetes: { version: v1.29.0 }'), 'kubernetes.version',
    /v1\.29\.0 is not the version metal-lab builds: Kubernetes comes from Debian's source package, which is v1\.20\.2 \(line 3, col 24\)/, /set version: v1\.20\.2, or leave version out/],
];

for (const [title, text, field, problem, fix] of labCases) {
  test(`load refuses ${title}`, (t) => {
    const err = specError(t, () => parseLab(text, FILE), FILE, field);
    t.regex(err.message, problem);
    t.regex(err.fix, fix);
  });
}

test('without kubernetes:, UEFI nodes and a lab of workers are fine', (t) => {
  const lab = parseLab(edit('kubernetes: {}\n', '').replace('role: controller', 'role: worker').replace('10.6.0.11 }', '10.6.0.11, firmware: uefi }'), FILE);
  t.is(lab.nodes[1]!.firmware, 'uefi');
});

test('a render of a lab without a controller is refused with the loader\'s words, not a plain Error', (t) => {
  const lab = parseLab(edit('kubernetes: {}\n', '').replace('role: controller', 'role: worker'), FILE);
  const err = t.throws(() => controlPlane(lab), { instanceOf: SpecError });
  t.regex(err.line(), /k1\.yaml: nodes: no node has role: controller.*Fix: give at least one node role: controller/);
});

test('install refuses a UEFI node before anything runs; live accepts it', (t) => {
  const lab = parseLab(edit('kubernetes: {}\n', '').replace('10.6.0.11 }', '10.6.0.11, firmware: uefi }'), FILE);
  const err = specError(t, () => checkBootMode(lab, 'install'), FILE, 'nodes[1].firmware');
  t.regex(err.line(), /w1 boots UEFI, and installing to disk supports BIOS nodes only so far\. Fix: set firmware: bios for it in lab\/k1\.yaml/);
  t.notThrows(() => checkBootMode(lab, 'live'));
});

test('install refuses a disk too small for two /usr slots and a root before anything runs; live accepts it', (t) => {
  const lab = parseLab(edit('kubernetes: {}\n', '').replace('10.6.0.11 }', '10.6.0.11, disk: 3 }'), FILE);
  const err = specError(t, () => checkBootMode(lab, 'install'), FILE, 'nodes[1].disk');
  t.regex(err.line(), /w1 has a 3 GiB disk, and installed labos needs 4 GiB \(two \/usr slots and a root\)\. Fix: set disk: 4 or more for it in lab\/k1\.yaml/);
  t.notThrows(() => checkBootMode(lab, 'live'));
});

test('a Kubernetes lab brought up live is refused before anything runs; install is accepted', (t) => {
  const lab = parseLab(KUBE, FILE);
  const err = specError(t, () => checkBootMode(lab, 'live'), FILE, 'kubernetes');
  t.regex(err.line(), /lab k1 runs Kubernetes, which needs labos installed on the nodes' disks\. Fix: bring it up with --boot install/);
  t.notThrows(() => checkBootMode(lab, 'install'));
});

const SCENARIO = 's.yaml';
const scenarioOn = (steps: string) => parseScenario(`name: x\nlab: k1\nsteps:\n${steps}`, SCENARIO);

const scenarioCases: [title: string, steps: string, field: string, message: RegExp][] = [
  ['a wait naming a node the lab lacks', '  - up: { boot: install }\n  - wait: ssh\n    nodes: [c1, c9]\n', 'steps[1].nodes[1]', /node c9 is not in lab k1 \(lab\/k1\.yaml\).*Fix: use one of: c1, w1/],
  ['a poweroff of a node the lab lacks', '  - up: { boot: install }\n  - poweroff: node2\n', 'steps[1].poweroff', /node node2 is not in lab k1/],
  ['a reboot of a node the lab lacks', '  - up: { boot: install }\n  - copy-secrets\n  - bootstrap\n  - reboot: [w2]\n', 'steps[3].reboot[0]', /node w2 is not in lab k1/],
  ['a Kubernetes check before bootstrap', '  - up: { boot: install }\n  - check: self-hosted\n  - bootstrap\n', 'steps[1].check', /self-hosted reads the Kubernetes API, which exists only after a bootstrap step.*Fix: add a bootstrap step before it/],
  ['a node-ready wait before bootstrap', '  - up: { boot: install }\n  - wait: node-ready\n', 'steps[1].wait', /node-ready reads the Kubernetes API/],
  ['etcd waited for before its keys are copied', '  - up: { boot: install }\n  - wait: ssh\n  - wait: etcd-health\n', 'steps[2].wait', /etcd-health needs etcd, which starts only once its keys are on the controllers: Ignition carries none\. Fix: add - copy-secrets after wait: ssh, before it/],
  ['bootstrap before the keys are copied', '  - up: { boot: install }\n  - bootstrap\n  - copy-secrets\n', 'steps[1]', /bootstrap needs etcd, which starts only once its keys are on the controllers/],
];

for (const [title, steps, field, message] of scenarioCases) {
  test(`a scenario is checked against its lab before anything runs: ${title}`, (t) => {
    const err = specError(t, () => checkScenarioLab(scenarioOn(steps), parseLab(KUBE, FILE)), SCENARIO, field);
    t.regex(err.line(), message);
  });
}

test('a scenario bringing a Kubernetes lab up live names the lab file and its kubernetes block', (t) => {
  specError(t, () => checkScenarioLab(scenarioOn('  - up\n'), parseLab(KUBE, FILE)), FILE, 'kubernetes');
});

test('bootstrap on a lab without kubernetes: is refused', (t) => {
  const lab = parseLab(edit('kubernetes: {}\n', ''), FILE);
  const err = specError(t, () => checkScenarioLab(scenarioOn('  - up: { boot: install }\n  - copy-secrets\n  - bootstrap\n'), lab), SCENARIO, 'steps[2]');
  t.regex(err.line(), /bootstrap starts Kubernetes, and lab k1 has no kubernetes: block.*Fix: run it on a Kubernetes lab/);
});

test('copy-secrets on live nodes is refused: they run no SSH', (t) => {
  const lab = parseLab(edit('kubernetes: {}\n', ''), FILE);
  const err = specError(t, () => checkScenarioLab(scenarioOn('  - up\n  - copy-secrets\n'), lab), SCENARIO, 'steps[1].copy-secrets');
  t.regex(err.line(), /copy-secrets copies the keys over SSH, which only installed nodes run\. Fix: put it after up: \{ boot: install \} and wait: ssh/);
});

test('every shipped scenario fits its own lab', async (t) => {
  for (const name of ['pxe-boot', 'etcd-cluster', 'bootstrap', 'update', 'faults', 'faults-kubernetes']) {
    const scenario = await loadScenario(resolveScenarioFile(name));
    const lab = await loadLab(scenario.lab);
    t.notThrows(() => checkScenarioLab(scenario, lab), name);
  }
});
