import test from 'ava';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Action } from '../../../src/guard/actions.js';
import { decide, type GuardState } from '../../../src/guard/decide.js';
import type { Budget } from '../../../src/guard/drain-budget.js';
import { FLUO_KEYS as F, GUARD_KEYS as G, OVERDUE_CONDITION } from '../../../src/guard/keys.js';

/** FLUO's states of a node (update-operator.md §1.3-1.4), as decide() reads them. */

const POLICY = { overdueMs: 60_000, exempt: new Set(['kube-system', 'reboot-coordinator']) };
const NOW = new Date('2025-01-01T12:00:00Z');

interface Spec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  conditions?: Record<string, string>;
  unschedulable?: boolean;
}

function node(name: string, s: Spec = {}): V1Node {
  const conditions = Object.entries({ Ready: 'True', ...s.conditions }).map(([type, status]) => ({ type, status }));
  return {
    metadata: { name, labels: { [F.version]: '1.0.0', ...s.labels }, annotations: { [F.newVersion]: '2.0.0', ...s.annotations } },
    spec: { unschedulable: s.unschedulable },
    status: { conditions },
  };
}

const needing = { [F.rebootNeeded]: 'true' };
/** Selected by the operator: before-reboot, awaiting the guard's hook. */
const selected = (extra: Spec = {}): Spec => ({ ...extra, labels: { [F.beforeReboot]: 'true', ...extra.labels }, annotations: { ...needing, ...extra.annotations } });
const CORDONED_AT = '2025-01-01T11:59:00.000Z';
/** Cordoned by the guard, its mark on it. */
const cordoned = (extra: Spec = {}): Spec => ({ ...extra, unschedulable: true, annotations: { [G.cordoned]: CORDONED_AT, ...extra.annotations } });
/** Selected, and being drained by the guard. */
const drainingSpec = (extra: Spec = {}): Spec => cordoned(selected(extra));
/** Given reboot-ok and rebooting (the agent's in-progress). */
const rebooting = (extra: Record<string, string> = {}): Spec => ({ annotations: { ...needing, [F.rebootOk]: 'true', [F.rebootInProgress]: 'true', ...extra } });
/** Back, and marked after-reboot by the operator; `noted`, the versions the guard noted when it let it go are still there. */
const back = (version: string, extra: Spec = {}, noted = true): Spec => ({
  ...extra,
  labels: { [F.afterReboot]: 'true', [F.version]: version, ...extra.labels },
  annotations: { [F.rebootOk]: 'true', ...(noted ? { [G.fromVersion]: '1.0.0', [G.toVersion]: '2.0.0' } : {}), ...extra.annotations },
});

const state = (nodes: V1Node[], podsOn: Record<string, V1Pod[]> = {}, budgets: Budget[] = []): GuardState => ({ nodes, podsOn: new Map(Object.entries(podsOn)), budgets });
const run = (s: GuardState, now = NOW) => decide(s, POLICY, now);

const keyValues = (set: Record<string, string | null>) => Object.entries(set).map(([k, v]) => `${k.replace(/^.*\//, '')}=${v}`);

/** Action lines to compare: `node: key=value ...`, `node: [un]cordon key=value ...`, `node: evict ns/pod`, `node: Event Reason`, `node: condition status reason`. */
function lines(actions: Action[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'annotate':
        return `${a.node}: ${keyValues(a.set).join(' ')}`;
      case 'cordon':
        return `${a.node}: ${[a.unschedulable ? 'cordon' : 'uncordon', ...keyValues(a.set)].join(' ')}`;
      case 'evict':
        return `${a.node}: evict ${a.namespace}/${a.pod}`;
      case 'event':
        return `${a.node}: ${a.type} ${a.reason}`;
      case 'condition':
        return `${a.node}: ${a.type.replace(/^.*\//, '')} ${a.status} ${a.reason}`;
    }
  });
}
const messages = (actions: Action[], reason: string) => actions.flatMap((a) => (a.kind === 'event' && a.reason === reason ? [a.message] : []));

const WAIT_FOR_A = 'a is still rebooting, and nodes reboot one at a time: reboot-paused until the operator drops it';

const webPod = (namespace = 'shop', name = 'web-1', terminating = false): V1Pod => ({
  metadata: { namespace, name, labels: { app: 'web' }, ...(terminating ? { deletionTimestamp: NOW } : {}) },
  status: { phase: 'Running' },
});
const webBudget = (allowed: number): Budget => ({
  budget: { metadata: { namespace: 'shop', name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } } }, status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } },
  emptyMatchesAll: true,
});
const CORDON = `a: cordon rollout-guard.cordoned=${NOW.toISOString()} rollout-guard.held=null`;

test('a selected node is let go: the guard cordons it, marks the cordon as its own and evicts its pods, in one pass', (t) => {
  t.deepEqual(lines(run(state([node('a', selected())], { a: [webPod()] }, [webBudget(1)]))), [CORDON, 'a: evict shop/web-1']);
  t.deepEqual(lines(run(state([node('a', selected())]))), [CORDON], 'nothing to evict');
});

test('drained (FLUO#188: the agent reboots whatever its drain left): the hook once no pod a drain evicts is left, noting the version it runs and the one it is to boot', (t) => {
  const daemonPod: V1Pod = { metadata: { namespace: 'shop', name: 'logs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'logs', uid: 'u', controller: true }] } };
  t.deepEqual(lines(run(state([node('a', drainingSpec())], { a: [webPod('kube-system'), daemonPod] }, [webBudget(0)]))), [
    'a: rollout-guard.before-reboot=true rollout-guard.held=null rollout-guard.from-version=1.0.0 rollout-guard.to-version=2.0.0',
    'a: Normal RebootAllowed',
  ]);
});

test('a pod already terminating is not evicted again, and holds the hook until it is gone', (t) => {
  t.deepEqual(run(state([node('a', drainingSpec())], { a: [webPod('shop', 'web-1', true)] }, [webBudget(0)])), []);
  t.deepEqual(lines(run(state([node('a', drainingSpec())], { a: [webPod('shop', 'web-1', true), webPod('shop', 'web-2')] }, [webBudget(1)]))), ['a: evict shop/web-2']);
});

test('PDB hold (FLUO#188): a node whose drain breaks a budget is held uncordoned with an Event naming it, once, until the budget allows it', (t) => {
  const held = run(state([node('a', selected())], { a: [webPod()] }, [webBudget(0)]));
  t.deepEqual(lines(held), [`a: rollout-guard.held=${messages(held, 'RebootHeld')[0]}`, 'a: Warning RebootHeld']);
  t.regex(messages(held, 'RebootHeld')[0]!, /^draining it would break PodDisruptionBudget shop\/web: it allows 0 disruptions and 1 of its pods are on this node$/);

  const why = (held[0] as { set: Record<string, string> }).set[G.held]!;
  t.deepEqual(run(state([node('a', selected({ annotations: { [G.held]: why } }))], { a: [webPod()] }, [webBudget(0)])), [], 'the next pass says nothing again');

  const allowed = run(state([node('a', selected({ annotations: { [G.held]: why } }))], { a: [webPod()] }, [webBudget(1)]));
  t.deepEqual(lines(allowed), [CORDON, 'a: evict shop/web-1']);
});

test('a budget that blocks mid-drain (a 429 would say so) keeps the node cordoned and held, says which on the node, once, and evicts what the budgets allow', (t) => {
  const pods = [webPod('shop', 'web-1'), webPod('shop', 'web-2'), webPod('shop', 'other')];
  pods[2]!.metadata!.labels = { app: 'other' };
  const blocked = run(state([node('a', drainingSpec())], { a: pods }, [webBudget(1)]));
  const why = 'cordoned, its drain waits on PodDisruptionBudget shop/web: it allows 1 disruption and 2 of its pods are on this node';
  t.deepEqual(lines(blocked), [`a: rollout-guard.held=${why}`, 'a: Warning RebootHeld', 'a: evict shop/web-1', 'a: evict shop/other']);
  t.deepEqual(messages(blocked, 'RebootHeld'), [why]);

  const heldNode = node('a', drainingSpec({ annotations: { [G.held]: why } }));
  t.deepEqual(lines(run(state([heldNode], { a: [webPod('shop', 'web-1', true), pods[1]!] }, [webBudget(0)]))), [
    'a: rollout-guard.held=cordoned, its drain waits on PodDisruptionBudget shop/web: it allows 0 disruptions and 1 of its pods are on this node',
    'a: Warning RebootHeld',
  ], 'a new reason, a new Warning; no uncordon');
  t.deepEqual(lines(run(state([heldNode], { a: [pods[1]!] }, [webBudget(1)]))), ['a: rollout-guard.held=null', 'a: evict shop/web-2'], 'allowed again');
});

test('the guard\'s own namespace and kube-system never hold their node, nor are they evicted (FLUO#123)', (t) => {
  const budgets: Budget[] = ['kube-system', 'reboot-coordinator'].map((namespace) => ({ ...webBudget(0), budget: { ...webBudget(0).budget, metadata: { namespace, name: 'web' } } }));
  t.deepEqual(lines(run(state([node('a', selected())], { a: [webPod('kube-system'), webPod('reboot-coordinator')] }, budgets))), [CORDON]);
});

test('one at a time: the FLUO race (a second node selected while the first, back, still has reboot-ok) holds the second and pauses it for the first', (t) => {
  // node a reported back between the operator's after-reboot marking and its selection (update-operator.test.ts).
  const racedBack = node('a', { annotations: { [F.rebootOk]: 'true', [F.rebootNeeded]: 'false', [F.rebootInProgress]: 'false' } });
  const actions = run(state([racedBack, node('b', selected())]));
  t.deepEqual(lines(actions).slice(-2), [`b: rollout-guard.held=${WAIT_FOR_A} reboot-paused=true rollout-guard.paused-for=a`, 'b: Normal RebootHeld']);
  t.deepEqual(messages(actions, 'RebootHeld'), [WAIT_FOR_A]);
});

test('one at a time: of two selected nodes the first is cordoned and the second held and paused in the same pass, and while the first drains', (t) => {
  t.deepEqual(lines(run(state([node('a', selected()), node('b', selected())]))), [
    CORDON,
    `b: rollout-guard.held=${WAIT_FOR_A} reboot-paused=true rollout-guard.paused-for=a`,
    'b: Normal RebootHeld',
  ]);
  const draining = run(state([node('a', drainingSpec()), node('b', selected())], { a: [webPod('shop', 'web-1', true)] }));
  t.deepEqual(lines(draining), [`b: rollout-guard.held=${WAIT_FOR_A} reboot-paused=true rollout-guard.paused-for=a`, 'b: Normal RebootHeld']);
});

test('one at a time: a node paused for the slot holder is unpaused once the operator has dropped it, not before', (t) => {
  const holder = node('a', back('2.0.0', { annotations: { [G.afterHook]: 'true' } }));
  const paused = { ...needing, [F.rebootPaused]: 'true', [G.pausedFor]: 'a' };
  t.deepEqual(messages(run(state([holder, node('b', selected({ annotations: paused }))])), 'RebootUnpaused'), []);
  t.deepEqual(lines(run(state([holder, node('b', { annotations: paused })]))), ['b: reboot-paused=null rollout-guard.paused-for=null', 'b: Normal RebootUnpaused']);
});

test('one at a time: being drained, let go, rebooting, or back and checked, each keeps the slot', (t) => {
  const holders = [
    node('a', drainingSpec()),
    node('a', selected({ annotations: { [G.beforeHook]: 'true' } })),
    node('a', { annotations: { [F.rebootInProgress]: 'true' } }),
    node('a', back('2.0.0', { annotations: { [G.afterHook]: 'true' } })),
  ];
  for (const holder of holders) t.deepEqual(messages(run(state([holder, node('b', selected())])), 'RebootHeld'), [WAIT_FOR_A]);
});

test('overdue: the guard notes when it saw reboot-ok, and past the limit sets the condition and a Warning, once', (t) => {
  t.deepEqual(lines(run(state([node('a', rebooting())]))), [`a: rollout-guard.reboot-ok-since=${NOW.toISOString()}`]);
  const since = new Date(NOW.getTime() - 61_000).toISOString();
  const late = run(state([node('a', rebooting({ [G.rebootOkSince]: since }))]));
  t.deepEqual(lines(late), ['a: RebootOverdue True NotBackInTime', 'a: Warning RebootOverdue']);
  t.regex(messages(late, 'RebootOverdue')[0]!, /not back 61s after its reboot-ok \(limit 60s\): it keeps the reboot slot/);
  t.deepEqual(run(state([node('a', { ...rebooting({ [G.rebootOkSince]: since }), conditions: { [OVERDUE_CONDITION]: 'True' } })])), []);
  t.deepEqual(run(state([node('a', rebooting({ [G.rebootOkSince]: new Date(NOW.getTime() - 59_000).toISOString() }))])), [], 'within the limit');
});

test('overdue: the node keeps the slot, and once back its condition turns False', (t) => {
  const since = new Date(NOW.getTime() - 120_000).toISOString();
  const overdue = node('a', { ...rebooting({ [G.rebootOkSince]: since }), conditions: { [OVERDUE_CONDITION]: 'True' } });
  t.deepEqual(messages(run(state([overdue, node('b', selected())])), 'RebootHeld'), [WAIT_FOR_A]);
  const returned = node('a', { ...back('2.0.0', { annotations: { [G.rebootOkSince]: since } }), conditions: { [OVERDUE_CONDITION]: 'True' } });
  t.deepEqual(lines(run(state([returned]))).slice(0, 3), ['a: rollout-guard.reboot-ok-since=null', 'a: RebootOverdue False NotAwaited', 'a: Normal RebootNoLongerOverdue']);
});

test('after the reboot: a node Ready on the version it was to boot is released; one not Ready is held', (t) => {
  t.deepEqual(lines(run(state([node('a', back('2.0.0'))]))), [
    'a: rollout-guard.from-version=null rollout-guard.to-version=null rollout-guard.held=null rollout-guard.after-reboot=true',
    'a: Normal RebootChecked',
  ]);
  t.deepEqual(lines(run(state([node('a', { ...back('2.0.0'), conditions: { Ready: 'False' } })]))), ['a: rollout-guard.held=back from its reboot but not Ready', 'a: Warning RebootHeld']);
  t.deepEqual(lines(run(state([node('a', back('1.0.0', { annotations: { [G.toVersion]: '1.0.0' } }))]))).at(-1), 'a: Normal RebootChecked', 'a reboot for no new version');
});

test('released, a node the guard cordoned is uncordoned in the same patch; one cordoned by another stays so, as the agent leaves it', (t) => {
  t.deepEqual(lines(run(state([node('a', cordoned(back('2.0.0')))]))), [
    'a: uncordon rollout-guard.from-version=null rollout-guard.to-version=null rollout-guard.held=null rollout-guard.after-reboot=true rollout-guard.cordoned=null',
    'a: Normal RebootChecked',
  ]);
  t.deepEqual(lines(run(state([node('a', { ...back('2.0.0'), unschedulable: true })]))), [
    'a: rollout-guard.from-version=null rollout-guard.to-version=null rollout-guard.held=null rollout-guard.after-reboot=true',
    'a: Normal RebootChecked',
  ]);
});

test('a node cordoned by another when selected is drained as well, without a mark of the guard\'s', (t) => {
  t.deepEqual(lines(run(state([node('a', { ...selected(), unschedulable: true })], { a: [webPod()] }, [webBudget(1)]))), ['a: evict shop/web-1']);
});

test('a cordon of the guard\'s on a node it no longer drains nor has let go (the operator dropped it, paused mid-drain) is lifted; one on a node rebooting stays', (t) => {
  t.deepEqual(lines(run(state([node('a', cordoned({ annotations: { [F.rebootPaused]: 'true' } }))]))), ['a: uncordon rollout-guard.cordoned=null']);
  t.deepEqual(run(state([node('a', cordoned(rebooting({ [G.rebootOkSince]: NOW.toISOString() })))])), []);
});

test('a failed update: back on its old version, the node keeps its hook off and its cordon, and is marked; every node not on that version is paused', (t) => {
  const failed = run(state([node('a', cordoned(back('1.0.0')))]));
  t.deepEqual(lines(failed), ['a: rollout-guard.from-version=null rollout-guard.to-version=null rollout-guard.held=null rollout-guard.update-failed=2.0.0', 'a: Warning UpdateFailed'], 'it stays cordoned');
  t.regex(messages(failed, 'UpdateFailed')[0]!, /To resume once the cause is known: kubectl annotate node a metal-lab.dev\/rollout-guard.update-failed-/);

  const marked = node('a', cordoned(back('1.0.0', { annotations: { [G.updateFailed]: '2.0.0' } }, false)));
  const updated = node('u', { labels: { [F.version]: '2.0.0' } });
  const adminPaused = node('p', { annotations: { [F.rebootPaused]: 'true' } });
  const paused = run(state([marked, node('b', selected()), updated, adminPaused, node('c')]));
  t.deepEqual(lines(paused), [
    'a: reboot-paused=true rollout-guard.paused-for=a',
    'a: Warning RolloutPaused',
    'b: reboot-paused=true rollout-guard.paused-for=a',
    'b: Warning RolloutPaused',
    'c: reboot-paused=true rollout-guard.paused-for=a',
    'c: Warning RolloutPaused',
    `b: rollout-guard.held=the rollout is paused: the update to 2.0.0 failed on a`,
    'b: Warning RebootHeld',
  ]);
});

test('resuming: with the failure mark removed, the guard releases and uncordons the failed node and lifts only its own pauses', (t) => {
  const pausedFor = { [F.rebootPaused]: 'true', [G.pausedFor]: 'a' };
  const others = [node('c', { annotations: pausedFor }), node('p', { annotations: { [F.rebootPaused]: 'true' } })];
  t.deepEqual(lines(run(state([node('a', cordoned(back('1.0.0', { annotations: pausedFor }, false))), ...others]))), [
    'a: uncordon rollout-guard.from-version=null rollout-guard.to-version=null rollout-guard.held=null rollout-guard.after-reboot=true rollout-guard.cordoned=null',
    'a: Normal RebootChecked',
    'a: reboot-paused=null rollout-guard.paused-for=null',
    'a: Normal RebootUnpaused',
    'c: reboot-paused=null rollout-guard.paused-for=null',
    'c: Normal RebootUnpaused',
  ]);
});

test('while an update failure is marked, no pause is lifted', (t) => {
  const failed = node('a', back('1.0.0', { annotations: { [G.updateFailed]: '2.0.0', [F.rebootPaused]: 'true', [G.pausedFor]: 'a' } }, false));
  t.deepEqual(run(state([failed, node('c', { annotations: { [F.rebootPaused]: 'true', [G.pausedFor]: 'a' } })])), []);
});

test('a hold whose node is no longer selected (the operator let it go on reboot-paused) is cleared', (t) => {
  t.deepEqual(lines(run(state([node('a', { annotations: { [G.held]: 'whatever' } })]))), ['a: rollout-guard.held=null']);
});
