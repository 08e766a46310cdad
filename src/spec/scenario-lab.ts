import { SpecError } from '../errors.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { checkBootMode } from './boot-mode.js';
import { loadLab } from './lab.js';
import { displayPath } from './spec-file.js';
import { flatSteps, ROLLOUT_CHECKS, type ScenarioSpec, type ScenarioStep } from './scenario.js';
import { faultNodes, type Fault } from './fault-steps.js';

/** The lab a scenario's `lab:` names: a short name from lab/, or a path from the scenario's own directory. */
export function scenarioLab(scenario: ScenarioSpec): Promise<LabSpec> {
  return loadLab(scenario.lab, { file: scenario.file, field: 'lab' });
}

/** Waits and checks that read the Kubernetes API: it exists once a `bootstrap` step ran. */
const READS_API = new Set<string>(['api-answers', 'api-name', 'node-ready', 'kubelet-health', 'self-hosted', 'pod-network', 'cluster-dns', 'apiserver-recovers', 'workload-ready']);

/** The nodes a step names, each with the field that names it. */
function namedNodes(step: ScenarioStep, at: string): [field: string, node: string][] {
  if (step.kind === 'power') return [[`${at}.power${step.action}`, step.node]];
  if (step.kind === 'reboot') return (step.nodes ?? []).map((n, j) => [`${at}.reboot[${j}]`, n]);
  if (step.kind === 'wait' || step.kind === 'check') return (step.nodes ?? []).map((n, j) => [`${at}.nodes[${j}]`, n]);
  if (step.kind === 'fault') return faultNodes(step.fault).map(([field, n]) => [`${at}.${field}`, n]);
  if (step.kind === 'workload') return (step.nodes ?? []).map((n, j) => [`${at}.workload.nodes[${j}]`, n]);
  return [];
}

/** What a step reads of the Kubernetes API, as its YAML names it, with the field that says so. */
function apiRead(step: ScenarioStep): [field: string, what: string] | undefined {
  if ((step.kind === 'wait' || step.kind === 'lab-wait') && READS_API.has(step.stage)) return ['wait', step.stage];
  if (step.kind === 'check' && (READS_API.has(step.check) || (ROLLOUT_CHECKS as readonly string[]).includes(step.check))) return ['check', step.check];
  if (step.kind === 'watch') return ['watch', 'watch: rollout'];
  if (step.kind === 'workload') return ['workload', 'workload'];
  return undefined;
}

/** What a step asks of etcd, as its YAML names it, with the field that says so: etcd starts once copy-secrets copied its keys. */
function etcdUse(step: ScenarioStep): [field: string, what: string] | undefined {
  const etcd = (name: string) => name.startsWith('etcd-');
  if (step.kind === 'wait' && step.stage === 'etcd-health') return ['wait', step.stage];
  if (step.kind === 'check' && etcd(step.check)) return ['check', step.check];
  if (step.kind === 'etcd-writes') return ['watch', 'watch: etcd-writes'];
  if (step.kind === 'bootstrap') return ['', 'bootstrap'];
  if (step.kind === 'fault' && (step.fault.kind === 'etcd-replace' || (step.fault.kind === 'kill' && step.fault.unit === 'etcd'))) return [step.fault.kind, step.fault.kind];
  return undefined;
}

/** Faults that act on a node over SSH, which only installed nodes run. */
const OVER_SSH = new Set<Fault['kind']>(['kill', 'clock', 'disk-full', 'disk-free', 'etcd-replace']);

/** What a fault needs of the lab it runs on, as a problem and its fix; undefined when the lab has it. */
function faultProblem(f: Fault, lab: LabSpec, labFile: string): [field: string, problem: string, fix: string] | undefined {
  const controllers = lab.nodes.filter((n) => n.role === 'controller').map((n) => n.name);
  const onController = (what: string, node: string): [string, string, string] | undefined =>
    controllers.includes(node) ? undefined : [`${f.kind}.node`, `${what}, and ${node} is not a controller of lab ${lab.id}`, `use a controller: ${controllers.join(', ') || `lab ${lab.id} has none`}`];
  if (f.kind === 'kill' && f.unit === 'etcd') return onController('etcd runs on controllers only', f.node);
  if (f.kind === 'kill' && !lab.kubernetes) {
    return ['kill.unit', `${f.unit} runs on Kubernetes nodes, and lab ${lab.id} has no kubernetes: block`, `kill etcd, or run it on a Kubernetes lab (e.g. --lab bootstrap)`];
  }
  if (f.kind === 'etcd-replace') {
    if (controllers.length < 3) {
      return ['etcd-replace', `replacing a member needs the others to keep quorum, and lab ${lab.id} has ${controllers.length} controller${controllers.length === 1 ? '' : 's'}`, `run it on a lab with 3 controllers or more (e.g. --lab etcd), or add controllers to ${labFile}`];
    }
    return onController('etcd runs on controllers only', f.node);
  }
  return undefined;
}

/** A rollout wait's or check's YAML name. */
const rolloutName = (step: Extract<ScenarioStep, { kind: 'rollout' }>) => `rollout-${step.until}`;

/**
 * Rules between a scenario and the lab it runs on, checked before anything runs: a resume comes
 * first and its steps start with `up`; every node a
 * step names is in the lab, each `up` fits the lab, `bootstrap` has a Kubernetes lab to start,
 * nothing reads the Kubernetes API before `bootstrap`, `publish` has an update channel to
 * publish on, and what judges a rollout comes after what it judges: the watch, the release, the
 * workload.
 */
export function checkScenarioLab(scenario: ScenarioSpec, lab: LabSpec): void {
  const file = displayPath(scenario.file);
  const labFile = displayPath(lab.file);
  const names = lab.nodes.map((n) => n.name);
  let up: false | 'live' | 'install' = false;
  let bootstrapped = false;
  let secretsCopied = false;
  let watchAt: string | undefined;
  let writesAt: string | undefined;
  let workloadAt: string | undefined;
  /** Versions published while the watch ran, with their channel: a rollout wait judges from its release's publish. */
  const watchedReleases = new Map<string, string>();
  scenario.steps.forEach((step, i) => {
    if (step.kind !== 'resume') return;
    const at = `steps[${i}]`;
    if (i !== 0) throw new SpecError(file, `${at}.resume`, `resume: ${step.snapshot} brings the lab to where the scenario starts, so it comes first`, 'move it to the top of steps');
    const nested = step.steps.findIndex((s) => s.kind === 'resume');
    if (nested >= 0) throw new SpecError(file, `${at}.steps[${nested}].resume`, 'a resume inside a resume', 'make its steps part of the outer resume');
    if (step.steps[0]!.kind !== 'up') throw new SpecError(file, `${at}.steps[0]`, `the steps that make snapshot ${step.snapshot} start from nothing, so they start with up`, 'add - up: { boot: install } as its first step');
  });
  flatSteps(scenario.steps).forEach(({ at, step }) => {
    const fail = (field: string, problem: string, fix: string): never => {
      throw new SpecError(file, field ? `${at}.${field}` : at, problem, fix);
    };
    for (const [field, node] of namedNodes(step, at)) {
      if (!names.includes(node)) throw new SpecError(file, field, `node ${node} is not in lab ${lab.id} (${labFile})`, `use one of: ${names.join(', ')}`);
    }
    if (step.kind === 'up') {
      checkBootMode(lab, step.boot);
      up = step.boot;
    }
    if (step.kind === 'copy-secrets') {
      if (up !== 'install') fail('copy-secrets', 'copy-secrets copies the keys over SSH, which only installed nodes run', 'put it after up: { boot: install } and wait: ssh');
      secretsCopied = true;
    }
    if (step.kind === 'fault') {
      const field = step.fault.kind;
      if (!up) fail(field, `${field} acts on a running lab, and no up step comes before it`, 'add up: { boot: install } before it');
      if (OVER_SSH.has(step.fault.kind) && up === 'live') {
        fail(field, `${field} acts on the node over SSH, which live nodes do not run`, 'boot the nodes with up: { boot: install }');
      }
      const problem = faultProblem(step.fault, lab, labFile);
      if (problem) fail(...problem);
    }
    if (step.kind === 'bootstrap') {
      if (!lab.kubernetes) {
        fail('', `bootstrap starts Kubernetes, and lab ${lab.id} has no kubernetes: block`, `run it on a Kubernetes lab (e.g. --lab bootstrap), or add kubernetes: {} to ${labFile}`);
      }
      bootstrapped = true;
    }
    const usesEtcd = etcdUse(step);
    if (usesEtcd && up && !secretsCopied && lab.nodes.some((n) => n.role === 'controller')) {
      fail(usesEtcd[0], `${usesEtcd[1]} needs etcd, which starts only once its keys are on the controllers: Ignition carries none`, 'add - copy-secrets after wait: ssh, before it');
    }
    const reads = apiRead(step);
    if (reads && !bootstrapped) fail(reads[0], `${reads[1]} reads the Kubernetes API, which exists only after a bootstrap step`, 'add a bootstrap step before it');

    if (step.kind === 'publish') {
      if (!lab.updates) {
        fail('publish', `publish puts a release on the lab's update channel, and lab ${lab.id} has no updates: block`, `run it on a lab with updates (e.g. --lab update), or add updates: { channel: stable } to ${labFile}`);
      }
      if (!up) fail('publish', "publish serves the release from the lab's boot server, which runs only after an up step", 'add up: { boot: install } before it');
      if (watchAt) watchedReleases.set(step.version, step.channel ?? lab.updates!.channel);
    }
    if (step.kind === 'etcd-writes') {
      if (writesAt) fail('watch', `etcd writes are made from ${writesAt} on already`, 'remove this watch step');
      if (!up) fail('watch', 'etcd-writes writes to the lab\'s etcd, which runs only after an up step', 'add up: { boot: install } before it');
      if (!lab.nodes.some((n) => n.role === 'controller')) fail('watch', `etcd-writes writes to etcd on the controllers, and lab ${lab.id} has none`, 'run it on a lab with controllers (e.g. --lab etcd)');
      writesAt = at;
    }
    if (step.kind === 'check' && step.check === 'etcd-writes-kept' && !writesAt) {
      fail('check', 'etcd-writes-kept judges the writes a watch: etcd-writes step makes, and none comes before it', 'add - watch: etcd-writes before the faults');
    }
    if (step.kind === 'watch') {
      if (watchAt) fail('watch', `the rollout is watched from ${watchAt} on already`, 'remove this watch step');
      watchAt = at;
    }
    if (step.kind === 'workload') {
      if (workloadAt) fail('workload', `the workload is created at ${workloadAt} already`, 'remove this workload step');
      if (step.replicas > names.length) {
        fail('workload.replicas', `${step.replicas} replicas: the workload runs one pod per node, and lab ${lab.id} has ${names.length} nodes`, `use at most ${names.length}`);
      }
      workloadAt = at;
    }
    const workloadReady = (step.kind === 'lab-wait' || step.kind === 'check') && (step.kind === 'lab-wait' ? step.stage : step.check) === 'workload-ready';
    if (workloadReady && !workloadAt) {
      fail(step.kind === 'lab-wait' ? 'wait' : 'check', 'workload-ready judges the workload, and no workload step comes before it', 'add - workload: { replicas: 2, pdb: { minAvailable: 1 } } before it');
    }
    const judge = step.kind === 'rollout' ? rolloutName(step) : step.kind === 'check' && (ROLLOUT_CHECKS as readonly string[]).includes(step.check) ? step.check : undefined;
    if (judge === 'workload-answered' || judge === 'budget-kept') {
      if (!workloadAt) fail('check', `${judge} judges the workload, and no workload step comes before it`, 'add - workload: { replicas: 3, pdb: { minAvailable: 2 } } before the rollout');
    }
    if (judge && judge !== 'workload-answered' && !watchAt) {
      fail(step.kind === 'rollout' ? 'wait' : 'check', `${judge} judges what a watch: rollout step recorded, and none comes before it`, 'add - watch: rollout after bootstrap, before the release is published');
    }
    if (step.kind === 'rollout' && !watchedReleases.has(step.version)) {
      fail('version', `${judge} judges the rollout of ${step.version}, and no publish step after the watch publishes it`, `publish ${step.version} after watch: rollout, or wait for a version the scenario publishes`);
    }
    const channel = step.kind === 'rollout' ? watchedReleases.get(step.version) : undefined;
    if (step.kind === 'rollout' && channel && channel !== lab.updates?.channel) {
      fail('version', `${judge} judges the rollout of ${step.version}, published on channel ${channel}, and lab ${lab.id}'s nodes follow channel ${lab.updates?.channel}`, `publish it on ${lab.updates?.channel} (remove channel: ${channel}), or set updates: { channel: ${channel} } in ${labFile}`);
    }
  });
}
