import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How to start this very CLI as a child process (the lab's boot server runs detached, so it
 * outlives `up`). From sources under tsx (tests, benches) it runs main.ts through tsx; from the
 * compiled tree, main.js.
 */
export function selfCommand(): { file: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const cliDir = path.join(path.dirname(here), '..', 'cli');
  if (here.endsWith('.ts')) {
    return { file: process.execPath, args: ['--import', import.meta.resolve('tsx'), path.join(cliDir, 'main.ts')] };
  }
  return { file: process.execPath, args: [path.join(cliDir, 'main.js')] };
}
