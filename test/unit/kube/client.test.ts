import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { LabError } from '../../../src/errors.js';
import { API_WAIT, createObjects, creationOrder } from '../../../src/kube/client.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { cm, crd, ns } from '../../support/kube-objects.js';

test('creationOrder: Namespaces, then CRDs, then the rest in the given order', (t) => {
  const order = creationOrder([cm('a', 'x'), crd, cm('b', 'x'), ns('x'), cm('c', 'x'), ns('y')]);
  t.deepEqual(order.map((o) => `${o.kind}/${o.metadata.name}`), [
    'Namespace/x', 'Namespace/y', 'CustomResourceDefinition/widgets.lab.example.com', 'ConfigMap/a', 'ConfigMap/b', 'ConfigMap/c',
  ]);
});

test('waitFor returns the value once done, and on timeout names what it waited for and the last state', async (t) => {
  let calls = 0;
  t.is(await waitFor('x', async () => (++calls < 3 ? pending(`try ${calls}`) : 'yes'), { deadline: Date.now() + 5000, intervalMs: 10, ...API_WAIT }), 'yes');
  const states: string[] = [];
  let n = 0;
  const err = await t.throwsAsync(
    waitFor('the widget Ready', async () => {
      if (++n % 2) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      return pending('Pending');
    }, { deadline: Date.now() + 300, intervalMs: 20, ...API_WAIT, onRetry: (r) => r.changed && states.push(r.state) }),
    { instanceOf: LabError },
  );
  t.regex(err.message, /^timed out after \d+s waiting for the widget Ready; last seen: (Pending|error: connect ECONNREFUSED 127\.0\.0\.1:1)$/);
  t.true(states.includes('error: connect ECONNREFUSED 127.0.0.1:1') && states.includes('Pending'));
});

/** A Status body as kube-apiserver sends it with a failure. */
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/**
 * An API that answers a ConfigMap's creation with `answers` in turn (then 201), as a busy
 * kube-apiserver did, and the discovery the client asks first.
 */
async function busyApi(answers: ReturnType<typeof status>[]): Promise<{ kc: KubeConfig; creates: () => number; close: () => void }> {
  let creates = 0;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url === '/api/v1') {
      res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['create'] }] }));
    } else if (req.method === 'POST' && req.url?.startsWith('/api/v1/namespaces/lab-a/configmaps')) {
      const answer = answers[creates++];
      res.statusCode = answer?.code ?? 201;
      res.end(JSON.stringify(answer ?? cm('first', 'lab-a')));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify(status(404, 'NotFound', `${req.method} ${req.url}`)));
    }
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'busy', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'busy' });
  return { kc, creates: () => creates, close: () => server.close() };
}

test('createObjects tries again while the API answers that it is busy, and not when it refuses the object', async (t) => {
  // What lab ha's run 22 got creating a Namespace, then what an apiserver gives with etcd slow.
  const busy = await busyApi([
    status(500, 'InternalError', 'Internal error occurred: resource quota evaluation timed out'),
    status(504, 'Timeout', 'Timeout: request did not complete within requested timeout 34s'),
  ]);
  t.teardown(busy.close);
  t.deepEqual(await createObjects(busy.kc, [cm('first', 'lab-a')], { deadline: Date.now() + 20_000 }), [{ object: 'ConfigMap lab-a/first', outcome: 'created' }]);
  t.is(busy.creates(), 3);

  const refused = await busyApi([status(403, 'Forbidden', 'configmaps is forbidden: User "x" cannot create resource')]);
  t.teardown(refused.close);
  const err = await t.throwsAsync(createObjects(refused.kc, [cm('first', 'lab-a')], { deadline: Date.now() + 20_000 }), { instanceOf: LabError });
  t.regex(err.message, /^creating ConfigMap lab-a\/first failed: HTTP 403 Forbidden/);
  t.is(refused.creates(), 1);
});

test('createObjects gives up at the deadline, naming the last answer', async (t) => {
  const answers = Array.from({ length: 10 }, () => status(500, 'InternalError', 'etcdserver: request timed out'));
  const busy = await busyApi(answers);
  t.teardown(busy.close);
  const err = await t.throwsAsync(createObjects(busy.kc, [cm('first', 'lab-a')], { deadline: Date.now() + 3000 }), { instanceOf: LabError });
  t.regex(err.message, /^creating ConfigMap lab-a\/first failed: timed out after \d+s waiting for the API to take ConfigMap lab-a\/first; last seen: error: HTTP 500 InternalError: etcdserver: request timed out/);
});
