import { SpecError } from '../errors.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { checkBootMode } from './boot-mode.js';
import { displayPath } from './lab.js';
import type { ScenarioSpec, ScenarioStep } from './scenario.js';

/** Waits and checks that read the Kubernetes API: it exists once a `bootstrap` step ran. */
const READS_API = new Set<string>(['node-ready', 'kubelet-health', 'self-hosted', 'pod-network', 'apiserver-recovers']);

/** The nodes a step names, each with the field that names it. */
function namedNodes(step: ScenarioStep, at: string): [field: string, node: string][] {
  if (step.kind === 'power') return [[`${at}.power${step.action}`, step.node]];
  if (step.kind === 'reboot') return (step.nodes ?? []).map((n, j) => [`${at}.reboot[${j}]`, n]);
  if (step.kind === 'wait' || step.kind === 'check') return (step.nodes ?? []).map((n, j) => [`${at}.nodes[${j}]`, n]);
  return [];
}

/**
 * Rules between a scenario and the lab it runs on, checked before anything runs: every node a
 * step names is in the lab, each `up` fits the lab, `bootstrap` has a Kubernetes lab to start,
 * and nothing reads the Kubernetes API before `bootstrap`.
 */
export function checkScenarioLab(scenario: ScenarioSpec, lab: LabSpec): void {
  const file = displayPath(scenario.file);
  const labFile = displayPath(lab.file);
  const names = lab.nodes.map((n) => n.name);
  let bootstrapped = false;
  scenario.steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    for (const [field, node] of namedNodes(step, at)) {
      if (!names.includes(node)) throw new SpecError(file, field, `node ${node} is not in lab ${lab.id} (${labFile})`, `use one of: ${names.join(', ')}`);
    }
    if (step.kind === 'up') checkBootMode(lab, step.boot);
    if (step.kind === 'bootstrap') {
      if (!lab.kubernetes) {
        throw new SpecError(file, at, `bootstrap starts Kubernetes, and lab ${lab.id} has no kubernetes: block`, `run it on a Kubernetes lab (e.g. --lab bootstrap), or add kubernetes: {} to ${labFile}`);
      }
      bootstrapped = true;
    }
    const reads = step.kind === 'wait' ? step.stage : step.kind === 'check' ? step.check : undefined;
    if (reads && READS_API.has(reads) && !bootstrapped) {
      throw new SpecError(file, `${at}.${step.kind}`, `${reads} reads the Kubernetes API, which exists only after a bootstrap step`, 'add a bootstrap step before it');
    }
  });
}
