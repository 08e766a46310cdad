// The e2e tier (npm run test:e2e): VM labs, one file at a time, cheapest first. Everything
// else is package.json's configuration, whose `files` leave test/e2e and test/nightly out, so
// that no other ava run starts a VM lab beside anything heavy.
import { readFileSync } from 'node:fs';

const { ava } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const ORDER = ['pxe-boot', 'lifecycle', 'etcd-cluster'];
const rank = (file) => {
  const i = ORDER.findIndex((name) => file.endsWith(`/${name}.test.ts`));
  return i === -1 ? ORDER.length : i;
};

export default {
  ...ava,
  files: ['test/e2e/**/*.test.ts'],
  concurrency: 1,
  // Outside CI ava would run the files that failed last time first, out of this order.
  cache: false,
  sortTestFiles: (a, b) => rank(a) - rank(b),
};
