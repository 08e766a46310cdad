import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LabError, SpecError } from '../errors.js';
import { MAX_NODES } from '../ground/lab-model.js';
import { checkChannel, checkVersion } from '../ground/release-names.js';
import { checkSnapshotName } from '../ground/snapshot-name.js';
import { FAULT_FIELDS, FAULT_FORMS, FAULT_KINDS, faultOf, type Fault } from './fault-steps.js';
import { displayPath, readSpecFile } from './spec-file.js';
import { parsing, validateYaml } from './validate.js';
import { wholeNumber } from './whole-number.js';

/** Lab checks judged on what a `watch: rollout` step recorded, and on the workload's probes. */
export const ROLLOUT_CHECKS = ['one-at-a-time', 'budget-kept', 'workload-answered'] as const;
export type RolloutCheckName = (typeof ROLLOUT_CHECKS)[number];

/**
 * Assertions a scenario can make; the runner implements every one of them. Node checks run once
 * per node (or per listed node), lab checks once for the lab.
 */
export const NODE_CHECKS = ['dhcp-lease', 'boot-chain', 'userspace', 'installed-once', 'etcd-health', 'api-answers', 'node-ready', 'kubelet-health'] as const;
export const LAB_CHECKS = [
  'etcd-members', 'etcd-replication', 'etcd-caught-up', 'etcd-from-host', 'etcd-writes-kept',
  'api-name', 'self-hosted', 'pod-network', 'cluster-dns', 'apiserver-recovers', 'workload-ready',
  ...ROLLOUT_CHECKS,
] as const;
export const CHECK_NAMES = [...NODE_CHECKS, ...LAB_CHECKS] as const;
export type NodeCheckName = (typeof NODE_CHECKS)[number];
export type LabCheckName = (typeof LAB_CHECKS)[number];
export type CheckName = (typeof CHECK_NAMES)[number];

/** What a scenario can wait for, per node: boot stages from the request log, SSH, etcd, Kubernetes. */
export const WAIT_STAGES = ['userspace', 'installed', 'ssh', 'etcd-health', 'api-answers', 'node-ready'] as const;
export type WaitStage = (typeof WAIT_STAGES)[number];
/** What a scenario can wait for of the whole lab: the workload back at full strength. */
export const LAB_WAITS = ['workload-ready'] as const;
export type LabWaitStage = (typeof LAB_WAITS)[number];
/** What a scenario can wait for of a rollout, lab-wide, on what the rollout watch saw. */
export const ROLLOUT_WAITS = ['rollout-done', 'rollout-paused'] as const;

export const BOOT_MODES = ['live', 'install'] as const;

export type ScenarioStep =
  | { kind: 'up'; boot: (typeof BOOT_MODES)[number] }
  | { kind: 'wait'; stage: WaitStage; timeoutS: number; nodes?: string[] }
  | { kind: 'lab-wait'; stage: LabWaitStage; timeoutS: number }
  | { kind: 'check'; check: CheckName; nodes?: string[] }
  /** Each controller's private keys and their certificates over SSH, which its etcd waits for. */
  | { kind: 'copy-secrets' }
  /** Pulls the plug on a node (virsh destroy), or powers it back on. */
  | { kind: 'power'; action: 'off' | 'on'; node: string }
  /** bootkube start: the temporary control plane on the first controller, pivoted to self-hosted. */
  | { kind: 'bootstrap'; timeoutS: number }
  /** Reboots the nodes at once (`systemctl reboot` over SSH), all of them unless named. */
  | { kind: 'reboot'; nodes?: string[] }
  /**
   * Publishes a labos release on the lab's update channel (its own unless named): built with
   * `kernel` (the base release's unless named), or, `broken`, derived from the release the
   * channel serves so that it cannot boot.
   */
  | { kind: 'publish'; version: string; channel?: string; kernel?: string; broken?: true }
  /** From here on, records every change of the nodes' update state and of the disruption budgets. */
  | { kind: 'watch'; what: 'rollout' }
  /** From here on, the host writes a key to etcd every half second; `etcd-writes-kept` reads them all back. */
  | { kind: 'etcd-writes' }
  /** Until the rollout to `version` is done on every node, or paused with `version` as a failed update. */
  | { kind: 'rollout'; until: 'done' | 'paused'; version: string; timeoutS: number }
  /**
   * One pod per node for `replicas` nodes behind a NodePort, with a PodDisruptionBudget, probed
   * from the host from then on; `errorBudget` is the share of probes that may fail (0.01 = 1%).
   * `nodes`: where the pods go first, while those nodes can take them. `evictAfterS`: how long a
   * pod stays on a node that stopped answering (Kubernetes' default is 300 s).
   */
  | { kind: 'workload'; replicas: number; minAvailable: number; errorBudget: number; nodes?: string[]; evictAfterS?: number }
  /**
   * The lab as `steps` leave it, from the lab's snapshot `snapshot` when one matches the lab, its
   * inputs and these steps; else `steps` run and the lab is saved as that snapshot. First only.
   */
  | { kind: 'resume'; snapshot: string; steps: ScenarioStep[]; timeoutS: number }
  /** A fault injected, and the recovery that belongs to it checked within `timeoutS` (a KVM baseline). */
  | { kind: 'fault'; fault: Fault; timeoutS: number }
  /** Nothing for a while, in real time: a fault held, a writer left to write. */
  | { kind: 'pause'; seconds: number };

/** Which test set runs a scenario: `npm test` (ci, within its 45 minutes) or `npm run test:nightly`. */
export const SCENARIO_SETS = ['ci', 'nightly'] as const;

export interface ScenarioSpec {
  name: string;
  description?: string;
  set?: (typeof SCENARIO_SETS)[number];
  /** The lab it runs on unless the user names another: a short name from lab/ or a path. */
  lab: string;
  file: string;
  steps: ScenarioStep[];
}

/** Every step in the order it can run, each with its field: a resume's own steps in its place. */
export function flatSteps(steps: readonly ScenarioStep[]): Array<{ at: string; step: ScenarioStep }> {
  return steps.flatMap((step, i) =>
    step.kind === 'resume' ? step.steps.map((inner, j) => ({ at: `steps[${i}].steps[${j}]`, step: inner })) : [{ at: `steps[${i}]`, step }],
  );
}

/** A day: a step still waiting after one is a run that looks hung, not one that waits. */
const MAX_TIMEOUT_S = 24 * 60 * 60;
const seconds = (d: string) => Number(d.slice(0, -1)) * (d.endsWith('m') ? 60 : 1);
const duration = z
  .string()
  .regex(/^\d+(s|m)$/, { message: 'not a duration: write seconds or minutes, e.g. 90s or 5m', abort: true })
  .superRefine((d, ctx) => {
    // 0s fails the step before its first try, after the whole lab came up for it.
    if (seconds(d) < 1) ctx.addIssue({ code: 'custom', message: `${d} leaves no time to wait`, params: { fix: 'use at least 1s, e.g. 90s or 5m' } });
    if (seconds(d) > MAX_TIMEOUT_S) ctx.addIssue({ code: 'custom', message: `${d} is longer than a day`, params: { fix: `use at most ${MAX_TIMEOUT_S / 60}m` } });
  })
  .transform(seconds);

const KINDS = ['up', 'copy-secrets', 'wait', 'check', 'poweroff', 'poweron', 'bootstrap', 'reboot', 'publish', 'watch', 'workload', 'resume', 'pause', ...FAULT_KINDS] as const;
/** Scenario and node names, and the short scenario names resolved in scenarios/. */
const NAME = /^[a-z][a-z0-9-]*$/;
const nodeName = z.string().regex(NAME, { message: 'not a node name: lower-case letters, digits and "-", starting with a letter' });

/** A string that `check` accepts: what it throws becomes the field's problem and fix. */
function checkedBy(check: (value: string) => void) {
  return z.string().superRefine((value, ctx) => {
    try {
      check(value);
    } catch (err) {
      if (!(err instanceof LabError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, params: { fix: err.fix } });
    }
  });
}
const releaseVersion = checkedBy(checkVersion);
const snapshotName = checkedBy(checkSnapshotName);
/** A Debian kernel package: apt-get gets it as an argument, so nothing that reads as an option. */
const kernelPackage = z.string().regex(/^linux-image-[a-z0-9][a-z0-9+.-]*$/, { message: 'not a Debian kernel package (linux-image-...)' });
const percent = z
  .string()
  .regex(/^(100|\d{1,2}(\.\d+)?)%$/, { message: 'not a percentage: write e.g. 1% or 0.5%' })
  .transform((p) => Number(p.slice(0, -1)) / 100);

/**
 * A step is `up` (or `{up: {boot: install}}`), `{wait: <stage>, timeout: 90s}`, `{check: <name>}`
 * (both optionally `nodes: [..]`), `copy-secrets`, `{poweroff: <node>}`, `{poweron: <node>}`, `bootstrap`
 * (optionally with a timeout), `{reboot: all}` (or a list of nodes), `{publish: {version: ..}}`,
 * `{watch: rollout}`, `{wait: rollout-done, version: ..}`, `{workload: {replicas: .., pdb: ..}}`, or
 * `{resume: <snapshot>, steps: [..]}` (optionally with a timeout for the restored lab's health).
 * Bare words become `{word: true}` so every step is one strict object: a typo then gets
 * "unknown field" or "did you mean", where a union would only say "invalid input".
 */
const Step: z.ZodType<ScenarioStep, unknown> = z
  .preprocess(
    (v) => (typeof v === 'string' ? { [v]: true } : v),
    z.strictObject({
      up: z.union([z.literal(true), z.strictObject({ boot: z.enum(BOOT_MODES) })]).optional(),
      wait: z.enum([...WAIT_STAGES, ...LAB_WAITS, ...ROLLOUT_WAITS]).optional(),
      version: releaseVersion.optional(),
      timeout: duration.optional(),
      check: z.enum(CHECK_NAMES).optional(),
      nodes: z.array(nodeName).min(1).optional(),
      poweroff: nodeName.optional(),
      poweron: nodeName.optional(),
      bootstrap: z.literal(true).optional(),
      'copy-secrets': z.literal(true).optional(),
      reboot: z.union([z.literal('all'), z.array(nodeName).min(1)]).optional(),
      publish: z
        .strictObject({ version: releaseVersion, kernel: kernelPackage.optional(), channel: checkedBy(checkChannel).optional(), broken: z.literal(true).optional() })
        .optional(),
      watch: z.enum(['rollout', 'etcd-writes']).optional(),
      // One pod per node, on a lab of at most MAX_NODES: checkScenarioLab holds it to the lab's own count.
      workload: z
        .strictObject({
          replicas: wholeNumber(1, MAX_NODES),
          pdb: z.strictObject({ minAvailable: wholeNumber(1, MAX_NODES) }),
          errorBudget: percent.optional(),
          nodes: z.array(nodeName).min(1).optional(),
          evictAfter: duration.optional(),
        })
        .optional(),
      resume: snapshotName.optional(),
      pause: duration.optional(),
      ...FAULT_FIELDS,
      get steps() {
        return z.array(Step).min(1).optional();
      },
    }),
  )
  .superRefine((s, ctx) => {
    const kinds = KINDS.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      const fix = kinds.length ? `make each its own step: ${kinds.map((k) => `- ${k}: ...`).join(', ')}` : 'add one of them';
      ctx.addIssue({ code: 'custom', message: `a step is exactly one of ${KINDS.join(', ')} (got ${kinds.join(', ') || 'none'})`, path: [], params: { fix } });
    }
    if (s.timeout !== undefined && !s.wait && !s.bootstrap && !s.resume && !faultOf(s)) {
      ctx.addIssue({ code: 'custom', message: 'timeout belongs to a wait, bootstrap, resume or fault step', path: ['timeout'] });
    }
    if (s.resume && !s.steps) {
      ctx.addIssue({ code: 'custom', message: `resume: ${s.resume} needs the steps that make the snapshot when none matches`, path: ['steps'], params: { fix: 'add steps: [up: { boot: install }, ...] under it' } });
    }
    if (s.steps && !s.resume) ctx.addIssue({ code: 'custom', message: 'steps belongs to a resume step', path: ['steps'], params: { fix: 'remove steps, or add resume: <snapshot name> beside it' } });
    if (s.nodes !== undefined && !s.wait && !s.check) ctx.addIssue({ code: 'custom', message: 'nodes belongs to a wait or check step', path: ['nodes'] });
    if (s.nodes && s.check && (LAB_CHECKS as readonly string[]).includes(s.check)) {
      ctx.addIssue({ code: 'custom', message: `${s.check} checks the whole lab; it takes no nodes`, path: ['nodes'], params: { fix: 'remove nodes' } });
    }
    const rollout = (ROLLOUT_WAITS as readonly string[]).includes(s.wait ?? '');
    const labWide = rollout || (LAB_WAITS as readonly string[]).includes(s.wait ?? '');
    if (labWide && s.nodes) ctx.addIssue({ code: 'custom', message: `${s.wait} waits on the whole lab; it takes no nodes`, path: ['nodes'], params: { fix: 'remove nodes' } });
    if (rollout && !s.version) ctx.addIssue({ code: 'custom', message: `${s.wait} needs the release it is about`, path: ['version'], params: { fix: 'add version: <the version a publish step published>, e.g. version: 2.0.0' } });
    if (s.version && !rollout) {
      ctx.addIssue({ code: 'custom', message: `version belongs to a ${ROLLOUT_WAITS.join(' or ')} wait`, path: ['version'], params: { fix: 'remove version (a publish step takes its own: publish: { version: 2.0.0 })' } });
    }
    if (s.publish?.broken && s.publish.kernel) {
      ctx.addIssue({ code: 'custom', message: "a broken release is derived from the channel's current one and keeps its kernel", path: ['publish', 'kernel'], params: { fix: 'remove kernel, or broken' } });
    }
    const w = s.workload;
    if (w && w.pdb.minAvailable >= w.replicas) {
      ctx.addIssue({
        code: 'custom',
        message: `minAvailable ${w.pdb.minAvailable} of ${w.replicas} replicas leaves no pod to evict, so no node could ever drain`,
        path: ['workload', 'pdb', 'minAvailable'],
        params: { fix: `use at most ${w.replicas - 1}, or more replicas` },
      });
    }
  })
  .transform((s): ScenarioStep => {
    const nodes = s.nodes ? { nodes: s.nodes } : {};
    if (s.wait === 'rollout-done' || s.wait === 'rollout-paused') {
      return { kind: 'rollout', until: s.wait === 'rollout-done' ? 'done' : 'paused', version: s.version!, timeoutS: s.timeout ?? 60 };
    }
    if (s.wait === 'workload-ready') return { kind: 'lab-wait', stage: s.wait, timeoutS: s.timeout ?? 60 };
    if (s.wait) return { kind: 'wait', stage: s.wait, timeoutS: s.timeout ?? 60, ...nodes };
    if (s.check) return { kind: 'check', check: s.check, ...nodes };
    if (s['copy-secrets']) return { kind: 'copy-secrets' };
    if (s.poweroff) return { kind: 'power', action: 'off', node: s.poweroff };
    if (s.poweron) return { kind: 'power', action: 'on', node: s.poweron };
    // bootkube's own limit for the self-hosted pods is 20 minutes.
    if (s.bootstrap) return { kind: 'bootstrap', timeoutS: s.timeout ?? 20 * 60 };
    if (s.reboot) return { kind: 'reboot', ...(s.reboot === 'all' ? {} : { nodes: s.reboot }) };
    if (s.publish) return { kind: 'publish', ...s.publish };
    if (s.watch === 'etcd-writes') return { kind: 'etcd-writes' };
    if (s.watch) return { kind: 'watch', what: s.watch };
    // A restored lab's health: a KVM baseline, scaled like the waits.
    if (s.resume) return { kind: 'resume', snapshot: s.resume, steps: s.steps!, timeoutS: s.timeout ?? 120 };
    if (s.pause) return { kind: 'pause', seconds: s.pause };
    // A fault's recovery: a KVM baseline, scaled like the waits.
    const fault = faultOf(s);
    if (fault) return { kind: 'fault', fault, timeoutS: s.timeout ?? 60 };
    if (s.workload) {
      const { replicas, pdb, errorBudget, nodes: on, evictAfter } = s.workload;
      return { kind: 'workload', replicas, minAvailable: pdb.minAvailable, errorBudget: errorBudget ?? 0.01, ...(on ? { nodes: on } : {}), ...(evictAfter ? { evictAfterS: evictAfter } : {}) };
    }
    return { kind: 'up', boot: s.up === true || s.up === undefined ? 'live' : s.up.boot };
  });

export const ScenarioFile = z.strictObject({
  name: z.string().regex(NAME, { message: 'not a scenario name: lower-case letters, digits and "-", starting with a letter' }),
  description: z.string().optional(),
  set: z.enum(SCENARIO_SETS).optional(),
  lab: z.string().min(1),
  steps: z.array(Step).min(1),
});

const FORMS = {
  name: 'a lower-case name such as pxe-boot',
  description: 'a line of text',
  set: 'ci (npm test runs it) or nightly (npm run test:nightly)',
  lab: 'a lab name from lab/ (mini, talk) or a lab file path',
  steps:
    `a list of steps: up, {up: {boot: install}}, {wait: ${[...WAIT_STAGES, ...LAB_WAITS].join('|')}, timeout: 60s}, {wait: ${ROLLOUT_WAITS.join('|')}, version: 2.0.0}, ` +
    `{check: ${CHECK_NAMES.join('|')}}, copy-secrets, {poweroff: node}, {poweron: node}, bootstrap, {reboot: all}, {publish: {version: 2.0.0}}, {watch: rollout|etcd-writes}, ` +
    '{workload: {replicas: 3, pdb: {minAvailable: 2}}}, {resume: bootstrapped, steps: [up, ...]}, {pause: 30s}, ' +
    `or a fault: ${FAULT_KINDS.map((k) => `{${k}: ${FAULT_FORMS[k]}}`).join(', ')}`,
  up: 'up alone, or up: {boot: install}',
  boot: 'live or install',
  wait: `one of ${[...WAIT_STAGES, ...LAB_WAITS, ...ROLLOUT_WAITS].join(', ')}`,
  timeout: 'a duration such as 90s or 5m',
  check: `one of ${CHECK_NAMES.join(', ')}`,
  nodes: 'a list of node names such as [node1, node3]',
  poweroff: 'a node name such as node2',
  poweron: 'a node name such as node2',
  bootstrap: 'bootstrap alone, or bootstrap: true with a timeout',
  'copy-secrets': 'copy-secrets alone',
  reboot: 'all, or a list of node names such as [node1, node2]',
  publish: 'a release such as {version: 2.0.0, kernel: linux-image-amd64, channel: stable}, or {version: 3.0.0, broken: true}',
  version: 'a release version such as 2.0.0',
  kernel: 'a Debian kernel package such as linux-image-amd64',
  channel: 'an update channel such as stable',
  watch: 'rollout or etcd-writes',
  workload: 'a workload such as {replicas: 3, pdb: {minAvailable: 2}, errorBudget: 1%, nodes: [node2, node3], evictAfter: 30s}',
  resume: 'a snapshot name such as bootstrapped',
  pdb: 'a PodDisruptionBudget such as {minAvailable: 2}',
  replicas: 'a whole number of pods, at most one per node',
  minAvailable: 'a whole number of pods, below replicas',
  errorBudget: 'the share of probes that may fail, e.g. 1%',
  evictAfter: 'a duration such as 30s: how long a pod stays on a node that stopped answering',
  pause: 'a duration such as 30s or 2m',
  ...FAULT_FORMS,
};

/** The repository's scenarios/ directory, from src/spec or dist/spec alike. */
const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export function resolveScenarioFile(nameOrPath: string): string {
  return NAME.test(nameOrPath) ? path.join(SCENARIO_DIR, `${nameOrPath}.yaml`) : path.resolve(nameOrPath);
}

export function parseScenario(text: string, file: string): ScenarioSpec {
  const { data } = parsing(file, () => validateYaml(text, file, ScenarioFile, FORMS));
  return { ...data, file: path.resolve(file) };
}

export async function loadScenario(file: string): Promise<ScenarioSpec> {
  const read = await readSpecFile(file, 'scenario');
  if ('problem' in read) throw new SpecError(displayPath(file), '', read.problem, read.fix ?? 'pass a scenario file path or a name from scenarios/ (e.g. pxe-boot)');
  return parseScenario(read.text, displayPath(file));
}
