// The unit tier (npm run test:unit): node only, fast. Worker threads in one process, not a process
// per file: a process pays ~0.5 s of CPU for tsx and ava before a test runs, ~30 s over the tier
// on 2 cores. Each thread registers tsx itself (--import applies to processes, not threads).
// More files at once than cores: many tests wait on child processes, sockets or key generation.
import { readFileSync } from 'node:fs';

const { ava } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

export default {
  ...ava,
  files: ['test/unit/**/*.test.ts'],
  workerThreads: true,
  nodeArguments: [],
  require: ['./test/support/tsx-thread.mjs'],
  concurrency: 4,
};
