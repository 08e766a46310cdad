import type { Fault } from '../../spec/fault-steps.js';
import { bootServerPids, terminate } from '../../ground/processes.js';
import { labModel } from '../../ground/lab-model.js';
import { bootServerAnswers, ensureBootServer } from '../../lab/boot-server.js';
import { labNow } from '../../toolkit/lab-clock.js';
import { LabError } from '../../errors.js';
import type { ScenarioContext } from '../context.js';
import { seconds } from './target.js';

/** Stopped: no process of it left, and its address no longer answers. */
async function stop(ctx: ScenarioContext): Promise<string> {
  const pids = await bootServerPids(ctx.paths);
  await terminate(pids);
  const url = labModel(ctx.lab).bootServerUrl;
  if (await bootServerAnswers(url)) throw new LabError(`the boot server still answers at ${url} after its processes (${pids.join(', ') || 'none found'}) were stopped`, `look for another server on that address: ss -ltnp`);
  return pids.length ? `stopped (pid ${pids.join(', ')}); ${url} no longer answers` : `was not running; ${url} does not answer`;
}

/** Started as `up` starts it, on the same data and request log: answering again is the recovery. */
async function start(ctx: ScenarioContext): Promise<string> {
  const t0 = labNow();
  const how = await ensureBootServer(ctx.lab, ctx.paths);
  return how === 'unchanged' ? 'was running already' : `started; answering after ${seconds(labNow() - t0)}`;
}

/**
 * The lab's boot server stopped, started or both: a PXE install cut off mid-way must complete
 * once it is back, which the scenario's next wait proves.
 */
export async function bootServerFault(ctx: ScenarioContext, f: Extract<Fault, { kind: 'boot-server' }>): Promise<string> {
  if (f.action === 'stop') return stop(ctx);
  if (f.action === 'start') return start(ctx);
  return `${await stop(ctx)}, then ${await start(ctx)}`;
}
