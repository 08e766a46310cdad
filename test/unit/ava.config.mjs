// The unit tier (npm run test:unit): node only, fast. Worker threads in one process, not a process
// per file: a process pays ~0.5 s of CPU for node and ava before a test runs, ~30 s over the tier
// on 2 cores. The threads run test/compile.mjs's JavaScript in build/ (see there why), named by
// their .ts files: `npx ava --config test/unit/ava.config.mjs test/unit/x.test.ts` after compiling.
// More files at once than cores: many tests wait on child processes, sockets or key generation.
import { readFileSync } from 'node:fs';

const { ava } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

export default {
  timeout: ava.timeout,
  files: ['test/unit/**/*.test.ts'],
  typescript: { rewritePaths: { 'src/': 'build/src/', 'test/': 'build/test/' }, compile: false },
  workerThreads: true,
  concurrency: 4,
};
