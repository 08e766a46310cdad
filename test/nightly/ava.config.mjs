// The nightly tier (npm run test:nightly): the VM labs too slow for npm test's 45 minutes on a
// 2-core TCG machine (bootstrap alone takes 14-27 of them here), and the update operator against
// envtest (5-6 minutes of its 30 s loop and a leader failover; 6 more with the rollout guard),
// one file at a time.
import e2e from '../e2e/ava.config.mjs';

export default {
  ...e2e,
  files: ['test/nightly/**/*.test.ts'],
};
