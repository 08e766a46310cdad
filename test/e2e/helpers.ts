import { execa, type ResultPromise } from 'execa';
import type { ExecutionContext } from 'ava';
import { selfCommand } from '../../src/lab/self.js';
import { findLabObjects, isEmpty } from '../../src/lab/down.js';

/** Runs the metal-lab CLI from sources, as a user would run it. */
export function cli(args: string[], opts: { reject?: boolean } = {}): ResultPromise {
  const self = selfCommand();
  return execa(self.file, [...self.args, ...args], { reject: opts.reject ?? false, all: true, env: { CI: '1' } });
}

export async function assertNothingLeft(t: ExecutionContext, id: string): Promise<void> {
  const left = await findLabObjects(id);
  t.true(isEmpty(left), `lab ${id} left behind: ${JSON.stringify(left)}`);
}

export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
