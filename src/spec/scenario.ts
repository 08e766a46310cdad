import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SpecError } from '../errors.js';
import { validateYaml } from './validate.js';

/**
 * Assertions a scenario can make; the runner implements every one of them. Node checks run once
 * per node (or per listed node), lab checks once for the lab.
 */
export const NODE_CHECKS = ['dhcp-lease', 'boot-chain', 'userspace', 'installed-once', 'etcd-health', 'node-ready', 'kubelet-health'] as const;
export const LAB_CHECKS = [
  'etcd-members', 'etcd-replication', 'etcd-caught-up', 'etcd-from-host',
  'self-hosted', 'pod-network', 'apiserver-recovers',
] as const;
export const CHECK_NAMES = [...NODE_CHECKS, ...LAB_CHECKS] as const;
export type NodeCheckName = (typeof NODE_CHECKS)[number];
export type LabCheckName = (typeof LAB_CHECKS)[number];
export type CheckName = (typeof CHECK_NAMES)[number];

/** What a scenario can wait for, per node: boot stages from the request log, SSH, etcd, Kubernetes. */
export const WAIT_STAGES = ['userspace', 'installed', 'ssh', 'etcd-health', 'node-ready'] as const;
export type WaitStage = (typeof WAIT_STAGES)[number];

export const BOOT_MODES = ['live', 'install'] as const;

export type ScenarioStep =
  | { kind: 'up'; boot: (typeof BOOT_MODES)[number] }
  | { kind: 'wait'; stage: WaitStage; timeoutS: number; nodes?: string[] }
  | { kind: 'check'; check: CheckName; nodes?: string[] }
  /** Pulls the plug on a node (virsh destroy), or powers it back on. */
  | { kind: 'power'; action: 'off' | 'on'; node: string }
  /** bootkube start: the temporary control plane on the first controller, pivoted to self-hosted. */
  | { kind: 'bootstrap'; timeoutS: number }
  /** Reboots the nodes at once (`systemctl reboot` over SSH), all of them unless named. */
  | { kind: 'reboot'; nodes?: string[] };

export interface ScenarioSpec {
  name: string;
  description?: string;
  /** The lab it runs on unless the user names another: a short name from lab/ or a path. */
  lab: string;
  file: string;
  steps: ScenarioStep[];
}

const duration = z
  .string()
  .regex(/^\d+(s|m)$/, { message: 'not a duration: write seconds or minutes, e.g. 90s or 5m' })
  .transform((d) => Number(d.slice(0, -1)) * (d.endsWith('m') ? 60 : 1));

const KINDS = ['up', 'wait', 'check', 'poweroff', 'poweron', 'bootstrap', 'reboot'] as const;
/** Scenario and node names, and the short scenario names resolved in scenarios/. */
const NAME = /^[a-z][a-z0-9-]*$/;
const nodeName = z.string().regex(NAME);

/**
 * A step is `up` (or `{up: {boot: install}}`), `{wait: <stage>, timeout: 90s}`, `{check: <name>}`
 * (both optionally `nodes: [..]`), `{poweroff: <node>}`, `{poweron: <node>}`, `bootstrap`
 * (optionally with a timeout) or `{reboot: all}` (or a list of nodes). Bare words become
 * `{word: true}` so every step is one strict object: a typo then gets "unknown field" or
 * "did you mean", where a union would only say "invalid input".
 */
const Step = z
  .preprocess(
    (v) => (typeof v === 'string' ? { [v]: true } : v),
    z.strictObject({
      up: z.union([z.literal(true), z.strictObject({ boot: z.enum(BOOT_MODES) })]).optional(),
      wait: z.enum(WAIT_STAGES).optional(),
      timeout: duration.optional(),
      check: z.enum(CHECK_NAMES).optional(),
      nodes: z.array(nodeName).min(1).optional(),
      poweroff: nodeName.optional(),
      poweron: nodeName.optional(),
      bootstrap: z.literal(true).optional(),
      reboot: z.union([z.literal('all'), z.array(nodeName).min(1)]).optional(),
    }),
  )
  .superRefine((s, ctx) => {
    const kinds = KINDS.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: `a step is exactly one of ${KINDS.join(', ')} (got ${kinds.join(', ') || 'none'})`, path: [] });
    if (s.timeout !== undefined && !s.wait && !s.bootstrap) ctx.addIssue({ code: 'custom', message: 'timeout belongs to a wait or bootstrap step', path: ['timeout'] });
    if (s.nodes !== undefined && !s.wait && !s.check) ctx.addIssue({ code: 'custom', message: 'nodes belongs to a wait or check step', path: ['nodes'] });
    if (s.nodes && s.check && (LAB_CHECKS as readonly string[]).includes(s.check)) {
      ctx.addIssue({ code: 'custom', message: `${s.check} checks the whole lab; it takes no nodes`, path: ['nodes'] });
    }
  })
  .transform((s): ScenarioStep => {
    const nodes = s.nodes ? { nodes: s.nodes } : {};
    if (s.wait) return { kind: 'wait', stage: s.wait, timeoutS: s.timeout ?? 60, ...nodes };
    if (s.check) return { kind: 'check', check: s.check, ...nodes };
    if (s.poweroff) return { kind: 'power', action: 'off', node: s.poweroff };
    if (s.poweron) return { kind: 'power', action: 'on', node: s.poweron };
    // bootkube's own limit for the self-hosted pods is 20 minutes.
    if (s.bootstrap) return { kind: 'bootstrap', timeoutS: s.timeout ?? 20 * 60 };
    if (s.reboot) return { kind: 'reboot', ...(s.reboot === 'all' ? {} : { nodes: s.reboot }) };
    return { kind: 'up', boot: s.up === true || s.up === undefined ? 'live' : s.up.boot };
  });

const ScenarioFile = z.strictObject({
  name: z.string().regex(NAME),
  description: z.string().optional(),
  lab: z.string().min(1),
  steps: z.array(Step).min(1),
});

const FORMS = {
  name: 'a lower-case name such as pxe-boot',
  lab: 'a lab name from lab/ (mini, talk) or a lab file path',
  steps: `a list of steps: up, {up: {boot: install}}, {wait: ${WAIT_STAGES.join('|')}, timeout: 60s}, {check: ${CHECK_NAMES.join('|')}}, {poweroff: node}, {poweron: node}, bootstrap, {reboot: all}`,
};

/** The repository's scenarios/ directory, from src/spec or dist/spec alike. */
const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export function resolveScenarioFile(nameOrPath: string): string {
  return NAME.test(nameOrPath) ? path.join(SCENARIO_DIR, `${nameOrPath}.yaml`) : path.resolve(nameOrPath);
}

export function parseScenario(text: string, file: string): ScenarioSpec {
  const { data } = validateYaml(text, file, ScenarioFile, FORMS);
  return { ...data, file: path.resolve(file) };
}

export async function loadScenario(file: string): Promise<ScenarioSpec> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new SpecError(file, '', 'no such scenario file', 'pass a scenario file path or a name from scenarios/ (e.g. pxe-boot)');
  });
  return parseScenario(text, path.relative(process.cwd(), file) || file);
}
