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

/**
 * Every field set once, valid on LAB; each case breaks one. Steps: 0 up, 1 wait, 2 copy-secrets, 3 check, 4 poweroff, 5 poweron, 6 bootstrap, 7 workload, 8 watch,
 * 9 publish, 10 wait rollout-done, 11 publish broken, 12 reboot, 13 link, 14 partition, 15 heal, 16-17 netem, 18 boot-server, 19 kill, 20 clock, 21 disk-full, 22 pause,
 * 23 disk-free.
 * etcd-replace needs three controllers, which LAB has not: its cases add the step.
 */
const SCENARIO = `name: bad
description: every field once
lab: ./lab.yaml
steps:
  - up: { boot: install }
  - wait: ssh
    nodes: [node1]
    timeout: 90s
  - copy-secrets
  - check: etcd-health
    nodes: [node1]
  - poweroff: node2
  - poweron: node2
  - bootstrap: true
    timeout: 10m
  - workload: { replicas: 2, pdb: { minAvailable: 1 }, errorBudget: 1%, nodes: [node2], evictAfter: 30s }
  - watch: rollout
  - publish: { version: 2.0.0, kernel: linux-image-amd64, channel: stable }
  - wait: rollout-done
    version: 2.0.0
    timeout: 25m
  - publish: { version: 3.0.0, broken: true }
  - reboot: [node1, node2]
  - link: { node: node2, state: down }
  - partition: { between: [[node1], [node2]] }
  - heal
  - netem: { node: node2, delay: 200ms, loss: 5% }
  - netem: { node: node2, clear: true }
  - boot-server: restart
  - kill: { node: node2, unit: kubelet }
  - clock: { node: node2, offset: -90s }
  - disk-full: { node: node1, path: /var/lib/etcd }
  - pause: 30s
  - disk-free: { node: node1, path: /var/lib/etcd }
    timeout: 2m
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
  { field: 'lab', title: 'a lab that is not there', text: scenario('lab: ./lab.yaml', 'lab: ./gone.yaml'), at: 'lab', problem: /^\/.*\/gone\.yaml: no such lab file\. Fix: set lab to a lab file path \(relative to \/.*\) or one of: bootstrap, etcd, ha, mini, talk, update$/ },
  { field: 'lab', title: 'a lab that is a directory', text: scenario('lab: ./lab.yaml', 'lab: ./labs'), at: 'lab', problem: /^\/.*\/labs: is a directory, not a lab file\./, files: { labs: '' } },
  { field: 'steps', title: 'no steps', text: `${HEAD}steps: []\n`, at: 'steps', problem: /^is empty .*Fix: give a list of steps: up,/ },
  { field: 'steps', title: 'steps as one word', text: `${HEAD}steps: up\n`, at: 'steps', problem: /^expected a list, got string "up"/ },
  { field: 'steps', title: 'a step of two kinds', text: scenario('  - poweron: node2\n', '  - { poweron: node2, poweroff: node1 }\n'), at: 'steps[5]', problem: /^a step is exactly one of up, copy-secrets, wait, check, poweroff, poweron, bootstrap, reboot, publish, watch, workload, resume, pause, link, partition, heal, netem, boot-server, kill, clock, disk-full, disk-free, etcd-replace \(got poweroff, poweron\) .*Fix: make each its own step: - poweroff: \.\.\., - poweron: \.\.\.$/ },
  { field: 'steps[].up', title: 'up as a number', text: scenario('up: { boot: install }', 'up: 5'), at: 'steps[0].up', problem: /^expected true or a mapping, got number 5 .*Fix: use up alone, or up: \{boot: install\}$/ },
  { field: 'steps[].up.boot', title: 'a boot mode that is none', text: scenario('boot: install', 'boot: disk'), at: 'steps[0].up.boot', problem: /^"disk" is not one of live, install .*Fix: use live or install$/ },
  { field: 'steps[].up.boot', title: 'installing to disk on a UEFI lab', text: scenario('lab: ./lab.yaml', 'lab: ./uefi.yaml'), file: 'uefi.yaml', at: 'nodes[1].firmware', problem: /^node2 boots UEFI, and installing to disk supports BIOS nodes only so far/, files: { 'uefi.yaml': UEFI_LAB } },
  { field: 'steps[].wait', title: 'a wait for no stage', text: scenario('wait: ssh', 'wait: sleepy'), at: 'steps[1].wait', problem: /^"sleepy" is not one of userspace, installed, ssh/ },
  { field: 'steps[].version', title: 'a version on a wait for SSH', text: scenario('  - wait: ssh\n', '  - wait: ssh\n    version: 2.0.0\n'), at: 'steps[1].version', problem: /^version belongs to a rollout-done or rollout-paused wait/ },
  { field: 'steps[].timeout', title: 'a timeout in words', text: scenario('timeout: 90s', 'timeout: soon'), at: 'steps[1].timeout', problem: /^not a duration: write seconds or minutes, e.g\. 90s or 5m .*Fix: use a duration such as 90s or 5m$/ },
  { field: 'steps[].timeout', title: 'a timeout of no time', text: scenario('timeout: 90s', 'timeout: 0s'), at: 'steps[1].timeout', problem: /^0s leaves no time to wait .*Fix: use at least 1s, e.g\. 90s or 5m$/ },
  { field: 'steps[].timeout', title: 'a timeout of years', text: scenario('timeout: 10m', 'timeout: 999999m'), at: 'steps[6].timeout', problem: /^999999m is longer than a day .*Fix: use at most 1440m$/ },
  { field: 'steps[].check', title: 'a misspelt check', text: scenario('check: etcd-health', 'check: etcd-healthy'), at: 'steps[3].check', problem: /^"etcd-healthy" is not one of .*Fix: did you mean "etcd-health"\?$/ },
  { field: 'steps[].nodes', title: 'a check on a node the lab does not have', text: scenario('    nodes: [node1]\n  - poweroff', '    nodes: [node9]\n  - poweroff'), at: 'steps[3].nodes[0]', problem: /^node node9 is not in lab bad \(\/.*\/lab\.yaml\)\. Fix: use one of: node1, node2$/ },
  { field: 'steps[].nodes', title: 'no nodes', text: scenario('    nodes: [node1]\n    timeout', '    nodes: []\n    timeout'), at: 'steps[1].nodes', problem: /^is empty .*Fix: give a list of node names such as \[node1, node3\]$/ },
  { field: 'steps[].poweroff', title: 'a power-off of a node the lab does not have', text: scenario('poweroff: node2', 'poweroff: node9'), at: 'steps[4].poweroff', problem: /^node node9 is not in lab bad/ },
  { field: 'steps[].poweron', title: 'a power-on of a node in capitals', text: scenario('poweron: node2', 'poweron: Node2'), at: 'steps[5].poweron', problem: /^not a node name: .*Fix: use a node name such as node2$/ },
  { field: 'steps[].bootstrap', title: 'bootstrap: yes', text: scenario('bootstrap: true', 'bootstrap: "yes"'), at: 'steps[6].bootstrap', problem: /^"yes" is not one of true/ },
  { field: 'steps[].reboot', title: 'a reboot of some', text: scenario('reboot: [node1, node2]', 'reboot: some'), at: 'steps[12].reboot', problem: /^expected all or a list, got string "some" .*Fix: use all, or a list of node names such as \[node1, node2\]$/ },
  { field: 'steps[].reboot', title: 'a reboot of a node the lab does not have', text: scenario('reboot: [node1, node2]', 'reboot: [node1, node9]'), at: 'steps[12].reboot[1]', problem: /^node node9 is not in lab bad/ },
  { field: 'steps[].publish', title: 'publish of a bare version', text: scenario('publish: { version: 2.0.0, kernel: linux-image-amd64, channel: stable }', 'publish: 2.0.0'), at: 'steps[9].publish', problem: /^expected a mapping, got string "2\.0\.0"/ },
  { field: 'steps[].publish.version', title: 'a release version of two parts', text: scenario('version: 2.0.0, kernel', 'version: "2.0", kernel'), at: 'steps[9].publish.version', problem: /^version "2\.0" is not MAJOR\.MINOR\.PATCH/ },
  { field: 'steps[].publish.kernel', title: 'a kernel that reads as an option', text: scenario('kernel: linux-image-amd64', 'kernel: "-o foo"'), at: 'steps[9].publish.kernel', problem: /^not a Debian kernel package/ },
  { field: 'steps[].publish.channel', title: 'a channel in capitals', text: scenario('channel: stable }', 'channel: Stable }'), at: 'steps[9].publish.channel', problem: /^channel "Stable" is not a channel name/ },
  { field: 'steps[].publish.broken', title: 'broken: false', text: scenario('broken: true', 'broken: false'), at: 'steps[11].publish.broken', problem: /^false is not one of true/ },
  { field: 'steps[].watch', title: 'a watch of everything', text: scenario('watch: rollout', 'watch: everything'), at: 'steps[8].watch', problem: /^"everything" is not one of rollout/ },
  { field: 'steps[].workload', title: 'a workload of a number', text: scenario('workload: { replicas: 2, pdb: { minAvailable: 1 }, errorBudget: 1%, nodes: [node2], evictAfter: 30s }', 'workload: 2'), at: 'steps[7].workload', problem: /^expected a mapping, got number 2/ },
  { field: 'steps[].workload.replicas', title: 'more replicas than nodes', text: scenario('replicas: 2', 'replicas: 3'), at: 'steps[7].workload.replicas', problem: /^3 replicas: the workload runs one pod per node, and lab bad has 2 nodes\. Fix: use at most 2$/ },
  { field: 'steps[].workload.replicas', title: 'replicas past the safe integers', text: scenario('replicas: 2', 'replicas: 1e20'), at: 'steps[7].workload.replicas', problem: /^100000000000000000000 is out of range .*Fix: use at most 64$/ },
  { field: 'steps[].workload.pdb', title: 'a budget of a number', text: scenario('pdb: { minAvailable: 1 }', 'pdb: 1'), at: 'steps[7].workload.pdb', problem: /^expected a mapping, got number 1 .*Fix: use a PodDisruptionBudget such as \{minAvailable: 2\}$/ },
  { field: 'steps[].workload.pdb.minAvailable', title: 'a budget that lets no pod go', text: scenario('minAvailable: 1', 'minAvailable: 2'), at: 'steps[7].workload.pdb.minAvailable', problem: /^minAvailable 2 of 2 replicas leaves no pod to evict/ },
  { field: 'steps[].workload.nodes', title: 'a workload placed on a node the lab does not have', text: scenario('nodes: [node2], evictAfter', 'nodes: [node9], evictAfter'), at: 'steps[7].workload.nodes[0]', problem: /^node node9 is not in lab bad .*Fix: use one of: node1, node2$/ },
  { field: 'steps[].workload.evictAfter', title: 'an eviction after a number', text: scenario('evictAfter: 30s', 'evictAfter: 30'), at: 'steps[7].workload.evictAfter', problem: /^expected a string, got number 30 .*Fix: use a duration such as 30s/ },
  { field: 'steps[].wait', title: 'the workload waited for before it exists', text: scenario('  - workload: {', '  - wait: workload-ready\n  - workload: {'), at: 'steps[7].wait', problem: /^workload-ready judges the workload, and no workload step comes before it\. Fix: add - workload:/ },
  { field: 'steps[].nodes', title: 'a lab-wide wait given nodes', text: scenario('  - watch: rollout\n', '  - wait: workload-ready\n    nodes: [node1]\n  - watch: rollout\n'), at: 'steps[8].nodes', problem: /^workload-ready waits on the whole lab; it takes no nodes/ },
  { field: 'steps[].workload.errorBudget', title: 'an error budget over 100%', text: scenario('errorBudget: 1%', 'errorBudget: 200%'), at: 'steps[7].workload.errorBudget', problem: /^not a percentage: write e\.g\. 1% or 0\.5%/ },
  { field: 'steps[].resume', title: 'a snapshot name in capitals', text: scenario('  - up: { boot: install }\n', '  - resume: Installed\n    steps: [{ up: { boot: install } }]\n'), at: 'steps[0].resume', problem: /^snapshot name "Installed" is not a plain name .*Fix: use lowercase letters, digits/ },
  { field: 'steps[].steps', title: "a resume's steps as one word", text: scenario('  - up: { boot: install }\n', '  - resume: installed\n    steps: up\n'), at: 'steps[0].steps', problem: /^expected a list, got string "up"/ },
  { field: 'steps[].copy-secrets', title: 'copy-secrets: false', text: scenario('  - copy-secrets\n', '  - copy-secrets: false\n'), at: 'steps[2].copy-secrets', problem: /^false is not one of true/ },
  { field: 'steps[].check', title: 'etcd checked before its keys are copied', text: scenario('  - copy-secrets\n', ''), at: 'steps[2].check', problem: /^etcd-health needs etcd, which starts only once its keys are on the controllers: Ignition carries none\. Fix: add - copy-secrets after wait: ssh, before it$/ },
  { field: 'steps[].pause', title: 'a pause of no time', text: scenario('pause: 30s', 'pause: 0s'), at: 'steps[22].pause', problem: /^0s leaves no time to wait .*Fix: use at least 1s/ },
  { field: 'steps[].timeout', title: 'a timeout on a pause', text: scenario('  - pause: 30s\n', '  - pause: 30s\n    timeout: 1m\n'), at: 'steps[22].timeout', problem: /^timeout belongs to a wait, bootstrap, resume or fault step/ },
  { field: 'steps[].link', title: 'a link as a word', text: scenario('link: { node: node2, state: down }', 'link: down'), at: 'steps[13].link', problem: /^expected a mapping, got string "down" .*Fix: use \{node: node2, state: down\}/ },
  { field: 'steps[].link.node', title: 'a link of a node the lab does not have', text: scenario('link: { node: node2', 'link: { node: node9'), at: 'steps[13].link.node', problem: /^node node9 is not in lab bad/ },
  { field: 'steps[].link.state', title: 'a link half down', text: scenario('state: down', 'state: flapping'), at: 'steps[13].link.state', problem: /^"flapping" is not one of down, up/ },
  { field: 'steps[].partition', title: 'a partition of a list', text: scenario('partition: { between: [[node1], [node2]] }', 'partition: [node1, node2]'), at: 'steps[14].partition', problem: /^expected a mapping, got a list/ },
  { field: 'steps[].partition.between', title: 'a partition of one group', text: scenario('between: [[node1], [node2]]', 'between: [[node1, node2]]'), at: 'steps[14].partition.between', problem: /^a partition needs two groups or more, got 1 .*Fix: write between: \[\[node1\], \[node2, node3\]\]$/ },
  { field: 'steps[].partition.between', title: 'a node on both sides', text: scenario('between: [[node1], [node2]]', 'between: [[node1], [node2, node1]]'), at: 'steps[14].partition.between[1][1]', problem: /^node1 is in group 0 already .*Fix: put each node in one group only$/ },
  { field: 'steps[].partition.between', title: 'a partition of a node the lab does not have', text: scenario('between: [[node1], [node2]]', 'between: [[node1], [node9]]'), at: 'steps[14].partition.between[1][0]', problem: /^node node9 is not in lab bad/ },
  { field: 'steps[].heal', title: 'heal: false', text: scenario('  - heal\n', '  - heal: false\n'), at: 'steps[15].heal', problem: /^false is not one of true/ },
  { field: 'steps[].netem', title: 'a netem that sets and clears', text: scenario('netem: { node: node2, clear: true }', 'netem: { node: node2, clear: true, loss: 1% }'), at: 'steps[17].netem', problem: /^netem either sets delay and\/or loss, or clears them/ },
  { field: 'steps[].netem.node', title: 'a netem on no node', text: scenario('netem: { node: node2, clear: true }', 'netem: { clear: true }'), at: 'steps[17].netem.node', problem: /^is missing .*Fix: add steps\[17\]\.netem\.node: a node name such as node2/ },
  { field: 'steps[].netem.delay', title: 'a delay of an hour', text: scenario('delay: 200ms', 'delay: 3600s'), at: 'steps[16].netem.delay', problem: /^a delay of more than a minute cuts the node off .*Fix: use at most 60s/ },
  { field: 'steps[].netem.loss', title: 'a loss as a fraction', text: scenario('loss: 5%', 'loss: 0.05'), at: 'steps[16].netem.loss', problem: /^expected a string, got number 0\.05 .*Fix: use a share of packets such as 5%$/ },
  { field: 'steps[].netem.clear', title: 'clear: false', text: scenario('clear: true', 'clear: false'), at: 'steps[17].netem.clear', problem: /^false is not one of true/ },
  { field: 'steps[].boot-server', title: 'a boot server paused', text: scenario('boot-server: restart', 'boot-server: pause'), at: 'steps[18].boot-server', problem: /^"pause" is not one of stop, start, restart/ },
  { field: 'steps[].kill', title: 'a kill of a bare unit', text: scenario('kill: { node: node2, unit: kubelet }', 'kill: kubelet'), at: 'steps[19].kill', problem: /^expected a mapping, got string "kubelet"/ },
  { field: 'steps[].kill.node', title: 'etcd killed on a worker', text: scenario('kill: { node: node2, unit: kubelet }', 'kill: { node: node2, unit: etcd }'), at: 'steps[19].kill.node', problem: /^etcd runs on controllers only, and node2 is not a controller of lab bad\. Fix: use a controller: node1$/ },
  { field: 'steps[].kill.unit', title: 'a kill of sshd', text: scenario('unit: kubelet', 'unit: sshd'), at: 'steps[19].kill.unit', problem: /^"sshd" is not one of etcd, kubelet, containerd/ },
  { field: 'steps[].clock', title: 'a clock as an offset alone', text: scenario('clock: { node: node2, offset: -90s }', 'clock: 5m'), at: 'steps[20].clock', problem: /^expected a mapping, got string "5m"/ },
  { field: 'steps[].clock.node', title: 'a clock of a node in capitals', text: scenario('clock: { node: node2', 'clock: { node: Node2'), at: 'steps[20].clock.node', problem: /^not a node name/ },
  { field: 'steps[].clock.offset', title: 'a clock ten years ahead', text: scenario('offset: -90s', 'offset: 3650d'), at: 'steps[20].clock.offset', problem: /^more than a year ahead .*Fix: use at most 366d either way$/ },
  { field: 'steps[].clock.offset', title: 'an offset in words', text: scenario('offset: -90s', 'offset: later'), at: 'steps[20].clock.offset', problem: /^not a clock offset: write e\.g\. 5m, -90s, 2h or 0s/ },
  { field: 'steps[].disk-full', title: 'a disk-full of a path alone', text: scenario('disk-full: { node: node1, path: /var/lib/etcd }', 'disk-full: /var/lib/etcd'), at: 'steps[21].disk-full', problem: /^expected a mapping, got string "\/var\/lib\/etcd"/ },
  { field: 'steps[].disk-full.node', title: 'a disk-full of a node the lab does not have', text: scenario('disk-full: { node: node1', 'disk-full: { node: node7'), at: 'steps[21].disk-full.node', problem: /^node node7 is not in lab bad/ },
  { field: 'steps[].disk-full.path', title: 'a relative path', text: scenario('disk-full: { node: node1, path: /var/lib/etcd }', 'disk-full: { node: node1, path: var/lib }'), at: 'steps[21].disk-full.path', problem: /^not an absolute path/ },
  { field: 'steps[].disk-full.path', title: 'a path a shell would run', text: scenario('disk-full: { node: node1, path: /var/lib/etcd }', 'disk-full: { node: node1, path: "/tmp; reboot" }'), at: 'steps[21].disk-full.path', problem: /^not an absolute path of letters/ },
  { field: 'steps[].disk-free', title: 'a disk-free of a number', text: scenario('disk-free: { node: node1, path: /var/lib/etcd }', 'disk-free: 1'), at: 'steps[23].disk-free', problem: /^expected a mapping, got number 1/ },
  { field: 'steps[].disk-free.node', title: 'a disk-free with no node', text: scenario('disk-free: { node: node1, path: /var/lib/etcd }', 'disk-free: { path: /var/lib/etcd }'), at: 'steps[23].disk-free.node', problem: /^is missing/ },
  { field: 'steps[].disk-free.path', title: 'a disk-free with no path', text: scenario('disk-free: { node: node1, path: /var/lib/etcd }', 'disk-free: { node: node1 }'), at: 'steps[23].disk-free.path', problem: /^is missing .*Fix: add steps\[23\]\.disk-free\.path: an absolute path on the node/ },
  { field: 'steps[].etcd-replace', title: 'a member replaced on a lab of one controller', text: `${SCENARIO}  - etcd-replace: { node: node1 }\n`, at: 'steps[24].etcd-replace', problem: /^replacing a member needs the others to keep quorum, and lab bad has 1 controller\. Fix: run it on a lab with 3 controllers or more/ },
  { field: 'steps[].etcd-replace.node', title: 'a member replaced by a number', text: `${SCENARIO}  - etcd-replace: { node: 3 }\n`, at: 'steps[24].etcd-replace.node', problem: /^expected a string, got number 3/ },
  { field: 'steps[].watch', title: 'a second etcd writer', text: scenario('  - watch: rollout\n', '  - watch: rollout\n  - watch: etcd-writes\n  - watch: etcd-writes\n'), at: 'steps[10].watch', problem: /^etcd writes are made from steps\[9\] on already/ },
  { field: 'steps[].check', title: 'writes judged that nobody made', text: `${SCENARIO}  - check: etcd-writes-kept\n`, at: 'steps[24].check', problem: /^etcd-writes-kept judges the writes a watch: etcd-writes step makes, and none comes before it/ },
  { field: '', title: 'an unknown step', text: scenario('  - watch: rollout\n', '  - wacth: rollout\n'), at: 'steps[8].wacth', problem: /^unknown field "wacth" .*Fix: did you mean "watch"\?$/ },
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
