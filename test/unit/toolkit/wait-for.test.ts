import test from 'ava';
import { LabError } from '../../../src/errors.js';
import { pending, waitFor, WaitTimeoutError, type Retry } from '../../../src/toolkit/wait-for.js';
import { labNow, withClock } from '../../../src/toolkit/lab-clock.js';

const soon = (ms: number) => Date.now() + ms;

test('waitFor returns the first value a probe gives, probing at the interval', async (t) => {
  let calls = 0;
  const retries: Retry[] = [];
  const v = await waitFor('x', async () => (++calls < 3 ? pending(`try ${calls}`) : 'yes'), { deadline: soon(5000), intervalMs: 10, onRetry: (r) => retries.push(r) });
  t.is(v, 'yes');
  t.is(calls, 3);
  t.deepEqual(retries.map((r) => [r.attempt, r.state, r.changed, r.nextInMs]), [[1, 'try 1', true, 10], [2, 'try 2', true, 10]]);
});

test('undefined is "not yet" without a state; falsy values other than undefined are values', async (t) => {
  let calls = 0;
  t.is(await waitFor('zero', async () => (++calls < 2 ? undefined : 0), { deadline: soon(5000), intervalMs: 1 }), 0);
  t.is(await waitFor('false', async () => false, { deadline: soon(5000) }), false);
});

test('on timeout the error says what, how long, the last state and the evidence', async (t) => {
  const pauses: number[] = [];
  const err = await t.throwsAsync(
    waitFor('the widget Ready', async () => pending('Pending'), { deadline: soon(300), intervalMs: 50, evidence: async () => ['/var/log/widget.log', 'last request /x -> 404'], fix: 'kick it', onRetry: (r) => pauses.push(r.nextInMs) }),
    { instanceOf: WaitTimeoutError },
  );
  t.true(err instanceof LabError);
  // How long it says is how long it waited (0s on an idle machine, more on a loaded one).
  t.is(err.message, `timed out after ${Math.round(err.waitedMs / 1000)}s waiting for the widget Ready; last seen: Pending`);
  t.is(err.what, 'the widget Ready');
  t.is(err.lastState, 'Pending');
  t.true(err.waitedMs >= 280, `${err.waitedMs} ms`);
  // It probed again after every pause, and once more at the end (4 or more times when idle).
  t.true(err.attempts === pauses.length + 1 && err.attempts >= 2, `${err.attempts} attempts, pauses ${pauses.join(', ')}`);
  t.deepEqual(err.evidence, ['/var/log/widget.log', 'last request /x -> 404']);
  t.is(err.fix, 'kick it');
  t.true(pauses.reduce((a, b) => a + b, 0) <= 300, `the last pause is cut to the deadline: ${pauses.join(', ')}`);
});

test('waits that share a deadline share one limit', async (t) => {
  const deadline = soon(400);
  await waitFor('the first thing', async () => (Date.now() > deadline - 200 ? true : undefined), { deadline, intervalMs: 20 });
  const pauses: number[] = [];
  const second = Date.now();
  const err = await t.throwsAsync(waitFor('the second thing', async () => undefined, { deadline, intervalMs: 20, onRetry: (r) => pauses.push(r.nextInMs) }), { instanceOf: WaitTimeoutError });
  // Its pauses fit in what the first wait left, however long the machine took for either.
  t.true(pauses.reduce((a, b) => a + b, 0) <= Math.max(0, deadline - second), `the second wait had only what was left: ${pauses.join(', ')}`);
  t.is(err.message, `timed out after ${Math.round(err.waitedMs / 1000)}s waiting for the second thing`);
});

test('a deadline already past still gets one probe', async (t) => {
  t.is(await waitFor('x', async () => 'now', { deadline: 0 }), 'now');
  const err = await t.throwsAsync(waitFor('x', async () => pending('no'), { deadline: 0 }), { instanceOf: WaitTimeoutError });
  t.is(err.attempts, 1);
});

test('a throwing probe is a state (described), unless fatal says waiting cannot fix it', async (t) => {
  let n = 0;
  const states: string[] = [];
  const err = await t.throwsAsync(
    waitFor('the API', async () => {
      if (++n % 2) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      return pending('Pending');
    }, { deadline: soon(200), intervalMs: 10, onRetry: (r) => states.push(r.state) }),
    { instanceOf: WaitTimeoutError },
  );
  t.regex(err.message, /last seen: (Pending|error: connect ECONNREFUSED 127\.0\.0\.1:1)$/);
  t.true(states.includes('error: connect ECONNREFUSED 127.0.0.1:1') && states.includes('Pending'));

  const described = await t.throwsAsync(waitFor('x', async () => Promise.reject(new Error('raw')), { deadline: 0, describeError: () => 'HTTP 503' }), { instanceOf: WaitTimeoutError });
  t.is(described.lastState, 'error: HTTP 503');

  class HostKeyChanged extends Error {}
  let probes = 0;
  await t.throwsAsync(
    waitFor('ssh', async () => {
      probes++;
      throw new HostKeyChanged('host key changed');
    }, { deadline: soon(5000), intervalMs: 10, fatal: (e) => e instanceof HostKeyChanged }),
    { instanceOf: HostKeyChanged },
  );
  t.is(probes, 1);
});

test('changed is true only when the state differs from the previous probe', async (t) => {
  const states = ['a', 'a', 'b', 'b', 'b', 'c'];
  const changes: boolean[] = [];
  let i = 0;
  await waitFor('x', async () => (i < states.length ? pending(states[i++]!) : 'done'), { deadline: soon(5000), intervalMs: 1, onRetry: (r) => changes.push(r.changed) });
  t.deepEqual(changes, [true, false, true, false, false, true]);
});

test('the interval can back off by attempt, and is cut to the deadline', async (t) => {
  const pauses: number[] = [];
  await t.throwsAsync(
    waitFor('x', async () => undefined, { deadline: soon(400), intervalMs: (n) => 50 * 2 ** (n - 1), onRetry: (r) => pauses.push(r.nextInMs) }),
    { instanceOf: WaitTimeoutError },
  );
  // Every pause is the attempt's backoff (50, 100, 200 ms) until the deadline cuts one; from then
  // on each is what is left (a timer may fire a little early, leaving a last 1 ms). On a loaded
  // machine there may be fewer of them.
  const backoff = (i: number) => 50 * 2 ** i;
  const firstCut = pauses.findIndex((p, i) => p < backoff(i));
  const shown = pauses.join(', ');
  t.true(firstCut === -1 || pauses.slice(0, firstCut).every((p, i) => p === backoff(i)), shown);
  t.true(pauses.every((p, i) => p <= backoff(i)), shown);
  // Together they fit the 400 ms, give or take the millisecond each early timer hands back (a cold
  // npm test here once had 50, 100, 200, 50: exactly 400).
  t.true(pauses.reduce((sum, p) => sum + p, 0) <= 400 + pauses.length, shown);
});

test('an abort ends the wait at once with the reason, also during a pause', async (t) => {
  const before = new AbortController();
  before.abort(new Error('interrupted by SIGINT'));
  await t.throwsAsync(waitFor('x', async () => 'never', { deadline: soon(5000), signal: before.signal }), { message: 'interrupted by SIGINT' });

  const during = new AbortController();
  const start = Date.now();
  setTimeout(() => during.abort(new Error('stop')), 50);
  await t.throwsAsync(waitFor('x', async () => undefined, { deadline: soon(10_000), intervalMs: 5000, signal: during.signal }), { message: 'stop' });
  t.true(Date.now() - start < 5000, 'ended during the 5 s pause, not after it');
});

test("inside withClock a deadline is on the lab's clock: a stopped clock outlasts wall time, a running one ends it", async (t) => {
  const stopped = { now: () => 5_000 };
  let calls = 0;
  const v = await withClock(stopped, () => waitFor('x', async () => (++calls < 5 ? pending('no') : 'yes'), { deadline: labNow() + 10, intervalMs: 20 }));
  t.is(v, 'yes', 'five probes 20 ms apart, past a 10 ms deadline in wall time');

  let lab = 0;
  const running = { now: () => lab };
  const err = await withClock(running, () =>
    t.throwsAsync(waitFor('y', async () => ((lab += 300), pending('no')), { deadline: labNow() + 1000, intervalMs: 1 }), { instanceOf: WaitTimeoutError }),
  );
  t.is(err.attempts, 4, 'the clock passed the deadline on the fourth probe');
  t.is(labNow() > 1_000_000_000_000, true, 'outside withClock, labNow is wall time again');
});
