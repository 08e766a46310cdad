import { GUARD_HOOKS } from '../render/update-operator/guard-contract.js';

/** The annotations and labels the guard reads and writes (FLUO's: update-operator.md §1.1). */

const fluo = (suffix: string) => `flatcar-linux-update.v1.flatcar-linux.net/${suffix}`;

/** FLUO's keys, as its agent and operator set them; the values are the strings "true" and "false". */
export const FLUO_KEYS = {
  rebootNeeded: fluo('reboot-needed'),
  rebootInProgress: fluo('reboot-in-progress'),
  rebootOk: fluo('reboot-ok'),
  rebootPaused: fluo('reboot-paused'),
  status: fluo('status'),
  newVersion: fluo('new-version'),
  /** Label: the node's os-release VERSION, which the agent sets at every start. */
  version: fluo('version'),
  beforeReboot: fluo('before-reboot'),
  afterReboot: fluo('after-reboot'),
} as const;

const guard = (name: string) => `metal-lab.dev/rollout-guard.${name}`;

/** The guard's keys: all it knows lives in these, on the nodes, so a restarted guard carries on. */
export const GUARD_KEYS = {
  /** Its before-reboot hook: "true" lets the operator give the node reboot-ok. */
  beforeHook: GUARD_HOOKS.before,
  /** Its after-reboot hook: "true" lets the operator release the node (reboot-ok=false). */
  afterHook: GUARD_HOOKS.after,
  /** Why the guard holds this node; an Event is sent whenever it changes. */
  held: guard('held'),
  /** The node's version and the one it was to boot, as they were when the guard let it go. */
  fromVersion: guard('from-version'),
  toVersion: guard('to-version'),
  /** When the guard first saw the node's reboot-ok: what "overdue" counts from. */
  rebootOkSince: guard('reboot-ok-since'),
  /** The version this node failed to boot: while any node has it, the rollout stays paused. */
  updateFailed: guard('update-failed'),
  /** The node this node's reboot-paused is for: it marks the pauses the guard set, the only ones it lifts. */
  pausedFor: guard('paused-for'),
  /**
   * When the guard cordoned the node to drain it (drain.ts). It uncordons only nodes with this, as
   * FLUO's agent uncordons only those it cordoned (agent-made-unschedulable).
   */
  cordoned: guard('cordoned'),
} as const;

/** The node condition an overdue reboot sets (status subresource), as node-problem-detector would. */
export const OVERDUE_CONDITION = 'metal-lab.dev/RebootOverdue';

/** The update-operator's flags that make it wait for the guard's hooks. */
export const OPERATOR_HOOK_FLAGS = [`--before-reboot-annotations=${GUARD_KEYS.beforeHook}`, `--after-reboot-annotations=${GUARD_KEYS.afterHook}`];
