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
