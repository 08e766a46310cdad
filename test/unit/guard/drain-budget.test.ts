import test from 'ava';
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { evictedPods, planDrain, type Budget } from '../../../src/guard/drain-budget.js';
import { matchesSelector } from '../../../src/guard/label-selector.js';

const pod = (namespace: string, name: string, labels: Record<string, string>, extra: Partial<V1Pod['metadata']> = {}, phase = 'Running'): V1Pod => ({
  metadata: { namespace, name, labels, ...extra },
  status: { phase },
});

const budget = (namespace: string, name: string, selector: V1LabelSelector | undefined, allowed?: number, emptyMatchesAll = true): Budget => ({
  budget: { metadata: { namespace, name }, spec: { selector }, ...(allowed === undefined ? {} : { status: { disruptionsAllowed: allowed, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } }) },
  emptyMatchesAll,
});

const EXEMPT = new Set(['kube-system', 'reboot-coordinator']);
const brokenBudgets = (pods: V1Pod[], budgets: Budget[]) => planDrain(pods, budgets, EXEMPT).broken;
const names = (pods: V1Pod[]) => pods.map((p) => p.metadata!.name);

test('selectors: matchLabels and every matchExpressions operator', (t) => {
  const labels = { app: 'web', tier: 'front' };
  t.true(matchesSelector({ matchLabels: { app: 'web' } }, labels));
  t.false(matchesSelector({ matchLabels: { app: 'db' } }, labels));
  t.true(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, labels));
  t.false(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels));
  t.true(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels));
  t.true(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels));
  t.false(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels));
  t.false(matchesSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels));
});

test('a drain evicts neither kube-system, the guard\'s namespace, DaemonSet pods, mirror pods nor finished pods', (t) => {
  const pods = [
    pod('shop', 'web-1', { app: 'web' }),
    pod('kube-system', 'dns', { app: 'web' }),
    pod('reboot-coordinator', 'operator', { app: 'web' }),
    pod('shop', 'logs', { app: 'web' }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'logs', uid: 'u', controller: true }] }),
    pod('shop', 'static', { app: 'web' }, { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
    pod('shop', 'job', { app: 'web' }, {}, 'Succeeded'),
  ];
  t.deepEqual(names(evictedPods(pods, EXEMPT)), ['web-1']);
});

test('a budget breaks when more of its pods are on the node than it allows to be disrupted', (t) => {
  const pods = [pod('shop', 'web-1', { app: 'web' }), pod('shop', 'web-2', { app: 'web' }), pod('other', 'web-3', { app: 'web' })];
  t.deepEqual(brokenBudgets(pods, [budget('shop', 'web', { matchLabels: { app: 'web' } }, 1)]), [{ name: 'shop/web', allowed: 1, podsHere: 2 }]);
  t.deepEqual(brokenBudgets(pods, [budget('shop', 'web', { matchLabels: { app: 'web' } }, 2)]), []);
  t.deepEqual(brokenBudgets(pods, [budget('shop', 'db', { matchLabels: { app: 'db' } }, 0)]), [], 'none of its pods here');
  t.deepEqual(brokenBudgets(pods.slice(0, 1), [budget('shop', 'web', { matchLabels: { app: 'web' } })]), [{ name: 'shop/web', allowed: 0, podsHere: 1 }], 'no status yet allows nothing');
});

test('an empty selector covers the namespace in policy/v1 and nothing in v1beta1; no selector covers nothing', (t) => {
  const pods = [pod('shop', 'web-1', { app: 'web' })];
  t.is(brokenBudgets(pods, [budget('shop', 'all', {}, 0, true)]).length, 1);
  t.is(brokenBudgets(pods, [budget('shop', 'all', {}, 0, false)]).length, 0);
  t.is(brokenBudgets(pods, [budget('shop', 'none', undefined, 0)]).length, 0);
});

test('a drain evicts, budget by budget, as many pods as it allows now; terminating pods are neither evicted again nor counted, but left', (t) => {
  const web = budget('shop', 'web', { matchLabels: { app: 'web' } }, 1);
  const pods = [pod('shop', 'web-1', { app: 'web' }), pod('shop', 'web-2', { app: 'web' }), pod('shop', 'db-1', { app: 'db' })];
  const plan = planDrain(pods, [web], EXEMPT);
  t.deepEqual(names(plan.evict), ['web-1', 'db-1'], 'one of web, and db has no budget');
  t.deepEqual(plan.broken, [{ name: 'shop/web', allowed: 1, podsHere: 2 }]);
  t.deepEqual(names(plan.left), ['web-1', 'web-2', 'db-1']);

  const evicting = [pod('shop', 'web-1', { app: 'web' }, { deletionTimestamp: new Date() }), pods[1]!];
  const next = planDrain(evicting, [web], EXEMPT);
  t.deepEqual(names(next.evict), ['web-2']);
  t.deepEqual(next.broken, []);
  t.deepEqual(names(next.left), ['web-1', 'web-2']);

  const both = planDrain([pod('shop', 'web-1', { app: 'web', tier: 'front' })], [web, budget('shop', 'front', { matchLabels: { tier: 'front' } }, 0)], EXEMPT);
  t.deepEqual(both.evict, [], 'every budget covering a pod must allow it');
});
