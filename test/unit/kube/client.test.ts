import test from 'ava';
import { LabError } from '../../../src/errors.js';
import { API_WAIT, creationOrder } from '../../../src/kube/client.js';
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
