import test from 'ava';
import { stepDeadline } from '../../../src/scenario/context.js';

test("a step's deadline is its timeout scaled for the accelerator once, from now", (t) => {
  const now = 1_700_000_000_000;
  t.is(stepDeadline({ timeoutScale: 1 }, 1800, now), now + 30 * 60_000, 'KVM: the timeout as written');
  t.is(stepDeadline({ timeoutScale: 6 }, 1800, now), now + 6 * 30 * 60_000, 'TCG: six times, and only once');
  t.is(stepDeadline({ timeoutScale: 6 }, 60, now), now + 360_000);
  const before = Date.now();
  const d = stepDeadline({ timeoutScale: 2 }, 1);
  t.true(d >= before + 2000 && d <= Date.now() + 2000, 'from now by default');
});
