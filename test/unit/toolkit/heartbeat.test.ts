import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { elapsedText, startHeartbeat } from '../../../src/toolkit/heartbeat.js';

test('a heartbeat says what is still going on, how long, and the last line, every interval until stopped', async (t) => {
  const lines: string[] = [];
  let last: string | undefined;
  let twice: () => void;
  const beaten = new Promise<void>((resolve) => (twice = resolve));
  const beat = startHeartbeat({
    activity: 'building Kubernetes v1.20.2',
    say: (l) => {
      lines.push(l);
      // The build logs a line between two beats.
      last = 'make WHAT=cmd/kubelet';
      if (lines.length === 2) twice();
    },
    last: () => last,
    intervalMs: 40,
  });
  // The heartbeat's timer does not hold the process open; the test does, meanwhile.
  const hold = setInterval(() => {}, 1000);
  await beaten;
  beat.stop();
  clearInterval(hold);
  await sleep(100);
  t.deepEqual(lines, ['still building Kubernetes v1.20.2: 0s elapsed', 'still building Kubernetes v1.20.2: 0s elapsed, last: make WHAT=cmd/kubelet']);
});

test('elapsed time reads in the largest sensible unit', (t) => {
  t.is(elapsedText(45_000), '45s');
  t.is(elapsedText(4 * 60_000 + 59_000), '4m');
  t.is(elapsedText(75 * 60_000), '1h15m');
});
