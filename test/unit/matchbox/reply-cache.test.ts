import test from 'ava';
import type { Answer } from '../../../src/matchbox/endpoints.js';
import { ReplyCache } from '../../../src/matchbox/reply-cache.js';
import type { StoreSnapshot } from '../../../src/matchbox/store.js';

const snapshot = () => ({}) as StoreSnapshot;
const answer = (body: string): Answer => ({ status: 200, headers: {}, body });

test('an answer is kept for the snapshot it came from; another snapshot starts empty', (t) => {
  const cache = new ReplyCache<Answer>();
  const [one, two] = [snapshot(), snapshot()];
  t.is(cache.get(one, '/ipxe?mac=a'), undefined);
  cache.set(one, '/ipxe?mac=a', answer('a'));
  t.is(cache.get(one, '/ipxe?mac=a')?.body, 'a');
  t.is(cache.get(two, '/ipxe?mac=a'), undefined);
  // An answer rendered from a snapshot that has since been replaced is not kept.
  cache.set(one, '/ipxe?mac=a', answer('stale'));
  t.is(cache.get(two, '/ipxe?mac=a'), undefined);
});

test('the query string is the client\'s to vary: past 50,000 answers nothing more is kept', (t) => {
  const cache = new ReplyCache<Answer>();
  const s = snapshot();
  cache.get(s, 'first');
  for (let i = 0; i < 50_001; i++) cache.set(s, `/ipxe?x=${i}`, answer(String(i)));
  t.is(cache.get(s, '/ipxe?x=49999')?.body, '49999');
  t.is(cache.get(s, '/ipxe?x=50000'), undefined);
});
