import type { StepRunner } from './steps.js';

/**
 * One small named step of an apply, as kind's create actions are: it says what it does through
 * its progress line (`name`, and `node` for a node's own), and is idempotent, so a repeated run
 * finds its work done.
 */
export interface Action<C> {
  name: string;
  node?: string;
  /** It creates something on the host: from the first such action on, a failure may undo the run. */
  creates?: true;
  /** Does the work; a returned line is what it found, printed under its progress line. */
  execute(ctx: C): Promise<string | void>;
}

/** A list entry: one action, or several that run at once (one per node). */
export type Actions<C> = ReadonlyArray<Action<C> | ReadonlyArray<Action<C>>>;

/**
 * Runs the actions in order, each under its progress line, stopping at the first failure. Before
 * each one the signal is checked (Ctrl-C). When an action fails or the run is aborted after
 * something was created, `undo` runs before the error is rethrown.
 */
export async function runActions<C>(
  actions: Actions<C>,
  ctx: C,
  opts: { steps: StepRunner; signal?: AbortSignal; undo: () => Promise<void> },
): Promise<void> {
  let created = false;
  const run = async (action: Action<C>) => {
    opts.signal?.throwIfAborted();
    const found = await opts.steps.step(action.name, action.node, () => action.execute(ctx));
    if (found) opts.steps.info(found);
  };
  try {
    for (const entry of actions) {
      opts.signal?.throwIfAborted();
      const group: ReadonlyArray<Action<C>> = 'execute' in entry ? [entry] : entry;
      created ||= group.some((a) => a.creates);
      await Promise.all(group.map(run));
    }
    opts.signal?.throwIfAborted();
  } catch (err) {
    if (created) await opts.undo();
    throw err;
  }
}
