import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { loadScenario, ScenarioFile } from '../../../src/spec/scenario.js';
import { checkScenarioLab, scenarioLab } from '../../../src/spec/scenario-lab.js';
import { checkArtifactsDir } from '../../../src/cli/artifacts-dir.js';
import { LabError, SpecError } from '../../../src/errors.js';
import { assertNames, edit, LAB, refusedLine, type BadCase } from '../../support/bad-input.js';
import { schemaFields } from '../../support/schema-fields.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `metal-lab run` of a scenario file with one wrong value, for every field of the format, on the
 * lab beside it: one line naming the file and the field, exit 2, no artifacts dir, nothing
 * created. Each case is refused by the load in-process first (the scenario, its lab, the one
 * against the other), so a case the load would accept never reaches the command.
 */

/** Every field set once, valid on LAB; each case breaks one. Steps: 0 up, 1 wait, 2 check, 3 poweroff, 4 poweron, 5 bootstrap, 6 workload, 7 watch, 8 publish, 9 wait rollout-done, 10 publish broken, 11 reboot. */
const SCENARIO = `name: bad
description: every field once
lab: ./lab.yaml
steps:
  - up: { boot: install }
  - wait: ssh
    nodes: [node1]
    timeout: 90s
  - check: etcd-health
    nodes: [node1]
  - poweroff: node2
  - poweron: node2
  - bootstrap: true
    timeout: 10m
  - workload: { replicas: 2, pdb: { minAvailable: 1 }, errorBudget: 1% }
  - watch: rollout
  - publish: { version: 2.0.0, kernel: linux-image-amd64, channel: stable }
  - wait: rollout-done
    version: 2.0.0
    timeout: 25m
  - publish: { version: 3.0.0, broken: true }
  - reboot: [node1, node2]
`;
const scenario = (from: string, to: string) => edit(SCENARIO, from, to);
const HEAD = SCENARIO.slice(0, SCENARIO.indexOf('steps:'));

/** A lab with a UEFI node and no Kubernetes: fine to boot live, not to install. */
const UEFI_LAB = LAB.slice(0, LAB.indexOf('kubernetes:')) + LAB.slice(LAB.indexOf('defaults:')).replace('ip: 10.77.0.11 }', 'ip: 10.77.0.11, firmware: uefi }');

const CASES: (BadCase & { files?: Record<string, string> })[] = [
  { field: 'name', title: 'a name in capitals', text: scenario('name: bad', 'name: Bad'), at: 'name', problem: /^not a scenario name: lower-case letters, digits and "-", starting with a letter \(line 1, col 7\)\. Fix: use a lower-case name such as pxe-boot$/ },
  { field: 'description', title: 'a description that is a list', text: scenario('description: every field once', 'description: [every, field]'), at: 'description', problem: /^expected a string, got a list .*Fix: use a line of text$/ },
  { field: 'set', title: 'a set that is none', text: scenario('lab: ./lab.yaml', 'lab: ./lab.yaml\nset: weekly'), at: 'set', problem: /^"weekly" is not one of ci, nightly .*Fix: use ci or nightly$/ },
  { field: 'lab', title: 'an empty lab', text: scenario('lab: ./lab.yaml', 'lab: ""'), at: 'lab', problem: /^is empty .*Fix: give a lab name from lab\/ \(mini, talk\) or a lab file path$/ },
  { field: 'lab', title: 'a lab that is not there', text: scenario('lab: ./lab.yaml', 'lab: ./gone.yaml'), at: 'lab', problem: /^\/.*\/gone\.yaml: no such lab file\. Fix: set lab to a lab file path \(relative to \/.*\) or one of: bootstrap, etcd, mini, talk, update$/ },
  { field: 'lab', title: 'a lab that is a directory', text: scenario('lab: ./lab.yaml', 'lab: ./labs'), at: 'lab', problem: /^\/.*\/labs: is a directory, not a lab file\./, files: { labs: '' } },
  { field: 'steps', title: 'no steps', text: `${HEAD}steps: []\n`, at: 'steps', problem: /^is empty .*Fix: give a list of steps: up,/ },
  { field: 'steps', title: 'steps as one word', text: `${HEAD}steps: up\n`, at: 'steps', problem: /^expected a list, got string "up"/ },
  { field: 'steps', title: 'a step of two kinds', text: scenario('  - poweron: node2\n', '  - { poweron: node2, poweroff: node1 }\n'), at: 'steps[4]', problem: /^a step is exactly one of up, wait, check, poweroff, poweron, bootstrap, reboot, publish, watch, workload, resume \(got poweroff, poweron\) .*Fix: make each its own step: - poweroff: \.\.\., - poweron: \.\.\.$/ },
  { field: 'steps[].up', title: 'up as a number', text: scenario('up: { boot: install }', 'up: 5'), at: 'steps[0].up', problem: /^expected true or a mapping, got number 5 .*Fix: use up alone, or up: \{boot: install\}$/ },
  { field: 'steps[].up.boot', title: 'a boot mode that is none', text: scenario('boot: install', 'boot: disk'), at: 'steps[0].up.boot', problem: /^"disk" is not one of live, install .*Fix: use live or install$/ },
  { field: 'steps[].up.boot', title: 'installing to disk on a UEFI lab', text: scenario('lab: ./lab.yaml', 'lab: ./uefi.yaml'), file: 'uefi.yaml', at: 'nodes[1].firmware', problem: /^node2 boots UEFI, and installing to disk supports BIOS nodes only so far/, files: { 'uefi.yaml': UEFI_LAB } },
  { field: 'steps[].wait', title: 'a wait for no stage', text: scenario('wait: ssh', 'wait: sleepy'), at: 'steps[1].wait', problem: /^"sleepy" is not one of userspace, installed, ssh/ },
  { field: 'steps[].version', title: 'a version on a wait for SSH', text: scenario('  - wait: ssh\n', '  - wait: ssh\n    version: 2.0.0\n'), at: 'steps[1].version', problem: /^version belongs to a rollout-done or rollout-paused wait/ },
  { field: 'steps[].timeout', title: 'a timeout in words', text: scenario('timeout: 90s', 'timeout: soon'), at: 'steps[1].timeout', problem: /^not a duration: write seconds or minutes, e.g\. 90s or 5m .*Fix: use a duration such as 90s or 5m$/ },
  { field: 'steps[].timeout', title: 'a timeout of no time', text: scenario('timeout: 90s', 'timeout: 0s'), at: 'steps[1].timeout', problem: /^0s leaves no time to wait .*Fix: use at least 1s, e.g\. 90s or 5m$/ },
  { field: 'steps[].timeout', title: 'a timeout of years', text: scenario('timeout: 10m', 'timeout: 999999m'), at: 'steps[5].timeout', problem: /^999999m is longer than a day .*Fix: use at most 1440m$/ },
  { field: 'steps[].check', title: 'a misspelt check', text: scenario('check: etcd-health', 'check: etcd-healthy'), at: 'steps[2].check', problem: /^"etcd-healthy" is not one of .*Fix: did you mean "etcd-health"\?$/ },
  { field: 'steps[].nodes', title: 'a check on a node the lab does not have', text: scenario('    nodes: [node1]\n  - poweroff', '    nodes: [node9]\n  - poweroff'), at: 'steps[2].nodes[0]', problem: /^node node9 is not in lab bad \(\/.*\/lab\.yaml\)\. Fix: use one of: node1, node2$/ },
  { field: 'steps[].nodes', title: 'no nodes', text: scenario('    nodes: [node1]\n    timeout', '    nodes: []\n    timeout'), at: 'steps[1].nodes', problem: /^is empty .*Fix: give a list of node names such as \[node1, node3\]$/ },
  { field: 'steps[].poweroff', title: 'a power-off of a node the lab does not have', text: scenario('poweroff: node2', 'poweroff: node9'), at: 'steps[3].poweroff', problem: /^node node9 is not in lab bad/ },
  { field: 'steps[].poweron', title: 'a power-on of a node in capitals', text: scenario('poweron: node2', 'poweron: Node2'), at: 'steps[4].poweron', problem: /^not a node name: .*Fix: use a node name such as node2$/ },
  { field: 'steps[].bootstrap', title: 'bootstrap: yes', text: scenario('bootstrap: true', 'bootstrap: "yes"'), at: 'steps[5].bootstrap', problem: /^"yes" is not one of true/ },
  { field: 'steps[].reboot', title: 'a reboot of some', text: scenario('reboot: [node1, node2]', 'reboot: some'), at: 'steps[11].reboot', problem: /^expected all or a list, got string "some" .*Fix: use all, or a list of node names such as \[node1, node2\]$/ },
  { field: 'steps[].reboot', title: 'a reboot of a node the lab does not have', text: scenario('reboot: [node1, node2]', 'reboot: [node1, node9]'), at: 'steps[11].reboot[1]', problem: /^node node9 is not in lab bad/ },
  { field: 'steps[].publish', title: 'publish of a bare version', text: scenario('publish: { version: 2.0.0, kernel: linux-image-amd64, channel: stable }', 'publish: 2.0.0'), at: 'steps[8].publish', problem: /^expected a mapping, got string "2\.0\.0"/ },
  { field: 'steps[].publish.version', title: 'a release version of two parts', text: scenario('version: 2.0.0, kernel', 'version: "2.0", kernel'), at: 'steps[8].publish.version', problem: /^version "2\.0" is not MAJOR\.MINOR\.PATCH/ },
  { field: 'steps[].publish.kernel', title: 'a kernel that reads as an option', text: scenario('kernel: linux-image-amd64', 'kernel: "-o foo"'), at: 'steps[8].publish.kernel', problem: /^not a Debian kernel package/ },
  { field: 'steps[].publish.channel', title: 'a channel in capitals', text: scenario('channel: stable }', 'channel: Stable }'), at: 'steps[8].publish.channel', problem: /^channel "Stable" is not a channel name/ },
  { field: 'steps[].publish.broken', title: 'broken: false', text: scenario('broken: true', 'broken: false'), at: 'steps[10].publish.broken', problem: /^false is not one of true/ },
  { field: 'steps[].watch', title: 'a watch of everything', text: scenario('watch: rollout', 'watch: everything'), at: 'steps[7].watch', problem: /^"everything" is not one of rollout/ },
  { field: 'steps[].workload', title: 'a workload of a number', text: scenario('workload: { replicas: 2, pdb: { minAvailable: 1 }, errorBudget: 1% }', 'workload: 2'), at: 'steps[6].workload', problem: /^expected a mapping, got number 2/ },
  { field: 'steps[].workload.replicas', title: 'more replicas than nodes', text: scenario('replicas: 2', 'replicas: 3'), at: 'steps[6].workload.replicas', problem: /^3 replicas: the workload runs one pod per node, and lab bad has 2 nodes\. Fix: use at most 2$/ },
  { field: 'steps[].workload.replicas', title: 'replicas past the safe integers', text: scenario('replicas: 2', 'replicas: 1e20'), at: 'steps[6].workload.replicas', problem: /^100000000000000000000 is out of range .*Fix: use at most 64$/ },
  { field: 'steps[].workload.pdb', title: 'a budget of a number', text: scenario('pdb: { minAvailable: 1 }', 'pdb: 1'), at: 'steps[6].workload.pdb', problem: /^expected a mapping, got number 1 .*Fix: use a PodDisruptionBudget such as \{minAvailable: 2\}$/ },
  { field: 'steps[].workload.pdb.minAvailable', title: 'a budget that lets no pod go', text: scenario('minAvailable: 1', 'minAvailable: 2'), at: 'steps[6].workload.pdb.minAvailable', problem: /^minAvailable 2 of 2 replicas leaves no pod to evict/ },
  { field: 'steps[].workload.errorBudget', title: 'an error budget over 100%', text: scenario('errorBudget: 1%', 'errorBudget: 200%'), at: 'steps[6].workload.errorBudget', problem: /^not a percentage: write e\.g\. 1% or 0\.5%/ },
  { field: 'steps[].resume', title: 'a snapshot name in capitals', text: scenario('  - up: { boot: install }\n', '  - resume: Installed\n    steps: [{ up: { boot: install } }]\n'), at: 'steps[0].resume', problem: /^snapshot name "Installed" is not a plain name .*Fix: use lowercase letters, digits/ },
  { field: 'steps[].steps', title: "a resume's steps as one word", text: scenario('  - up: { boot: install }\n', '  - resume: installed\n    steps: up\n'), at: 'steps[0].steps', problem: /^expected a list, got string "up"/ },
  { field: '', title: 'an unknown step', text: scenario('  - watch: rollout\n', '  - wacth: rollout\n'), at: 'steps[7].wacth', problem: /^unknown field "wacth" .*Fix: did you mean "watch"\?$/ },
  { field: '', title: 'an empty file', text: '', at: '', problem: /^the file is empty, not a YAML mapping of fields/ },
  { field: '', title: 'a list for a file', text: '- up\n', at: '', problem: /^the file holds a list, not a YAML mapping/ },
  { field: '', title: 'a YAML syntax error', text: scenario('  - poweroff: node2\n', '  - poweroff: node2\n - poweron\n'), at: '', problem: /^YAML syntax error at line \d+, col \d+/ },
  { field: '', title: 'a description of a book', text: scenario('description: every field once', `description: ${'word '.repeat(1000)}`), at: '', problem: /^a value of 4999 characters at line 2, col 14, longer than any field takes \(1024\)/ },
  { field: '', title: 'a "billion laughs"', text: `${SCENARIO}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`, at: '', problem: /^its aliases expand into more than 100 copies/ },
];

/** The scenario is refused by the load: itself, its lab, or the one against the other. */
async function loadBoth(file: string): Promise<void> {
  const s = await loadScenario(file);
  checkScenarioLab(s, await scenarioLab(s));
}

async function writeCase(dir: string, text: string, files: Record<string, string> = {}): Promise<string[]> {
  await fs.writeFile(path.join(dir, 'scenario.yaml'), text);
  await fs.writeFile(path.join(dir, 'lab.yaml'), LAB);
  for (const [name, content] of Object.entries(files)) {
    if (content) await fs.writeFile(path.join(dir, name), content);
    else await fs.mkdir(path.join(dir, name));
  }
  return ['scenario.yaml', 'lab.yaml', ...Object.keys(files)];
}

test('the base scenario is valid on the base lab: each case breaks one thing', async (t) => {
  const dir = await tempDir(t);
  await writeCase(dir, SCENARIO);
  await t.notThrowsAsync(loadBoth(path.join(dir, 'scenario.yaml')));
});

test('every field of a scenario file has a wrong-value case', (t) => {
  const covered = new Set(CASES.map((c) => c.field));
  t.deepEqual([...new Set(schemaFields(ScenarioFile))].filter((f) => !covered.has(f)), []);
});

for (const c of CASES) {
  test(`run refuses ${c.title} in one line, exit 2, before any artifacts dir`, async (t) => {
    const dir = await tempDir(t);
    const keep = await writeCase(dir, c.text, c.files);
    const file = path.join(dir, 'scenario.yaml');
    // The load refuses it in-process first: the command is never run on a scenario it would start.
    await t.throwsAsync(loadBoth(file), { instanceOf: SpecError });
    if (!t.passed) return;
    const line = await refusedLine(t, dir, ['run', file, '--artifacts', path.join(dir, 'artifacts')], keep);
    assertNames(t, line, file, { ...c, file: c.file && path.join(dir, c.file) });
  });
}

test('run refuses a scenario file it cannot read: a directory, a device, nothing there', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, 'scenarios'));
  const cases: [string, RegExp][] = [
    [path.join(dir, 'scenarios'), /: is a directory, not a scenario file\. Fix: pass a scenario file path or a name from scenarios\/ \(e\.g\. pxe-boot\)$/],
    ['/dev/null', /^\/dev\/null: is not a regular file, so not a scenario file\./],
    [path.join(dir, 'none.yaml'), /: no such scenario file\./],
  ];
  for (const [file, line] of cases) t.regex(await refusedLine(t, dir, ['run', file, '--artifacts', path.join(dir, 'artifacts')], ['scenarios']), line, file);
});

test('run refuses an artifacts dir a file is in the way of, before the run rather than at its end', async (t) => {
  const dir = await tempDir(t);
  const keep = await writeCase(dir, SCENARIO);
  const file = path.join(dir, 'scenario.yaml');
  const fix = 'Fix: pass a directory, or a path where one can be made';
  const cases: [string, string][] = [
    [file, `--artifacts ${file}: it is a file, not a directory. ${fix}`],
    [path.join(file, 'run1'), `--artifacts ${file}/run1: ${file} is a file, not a directory. ${fix}`],
  ];
  for (const [artifacts, line] of cases) {
    // Refused in-process first: the command is never run with artifacts it would accept.
    await t.throwsAsync(checkArtifactsDir(artifacts), { instanceOf: LabError });
    if (!t.passed) return;
    t.is(await refusedLine(t, dir, ['run', file, '--artifacts', artifacts], keep), line);
  }
});
