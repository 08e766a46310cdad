import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { untilAborted } from '../../../src/toolkit/until-aborted.js';

test('gives the work its own outcome when nothing aborts', async (t) => {
  const ctl = new AbortController();
  t.is(await untilAborted(sleep(10, 'done'), ctl.signal), 'done');
  await t.throwsAsync(untilAborted(Promise.reject(new Error('probe failed')), ctl.signal), { message: 'probe failed' });
});

test('rejects with the reason at the abort, while the work goes on', async (t) => {
  const ctl = new AbortController();
  let finished = false;
  const work = sleep(300).then(() => {
    finished = true;
    throw new Error('late failure');
  });
  const started = Date.now();
  setTimeout(() => ctl.abort(new Error('interrupted by SIGINT')), 20);
  await t.throwsAsync(untilAborted(work, ctl.signal), { message: 'interrupted by SIGINT' });
  t.true(Date.now() - started < 200, 'ended at the abort, not with the work');
  t.false(finished);
  // The work's later rejection is handled: ava fails a test on an unhandled rejection.
  await sleep(350);
  t.true(finished);
});

test('an aborted signal rejects before the work ends', async (t) => {
  await t.throwsAsync(untilAborted(sleep(1000), AbortSignal.abort(new Error('already stopped'))), { message: 'already stopped' });
});
