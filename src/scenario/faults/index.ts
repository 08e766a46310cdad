import type { Fault, FaultKind } from '../../spec/fault-steps.js';
import type { ScenarioContext } from '../context.js';
import { bootServerFault } from './boot-server.js';
import { etcdReplace } from './etcd-replace.js';
import { heal, link, netem, partition } from './network.js';
import { clock, diskFree, diskFull, kill } from './node.js';

/**
 * Runs a fault and checks the recovery that belongs to it before `deadline` (lab clock, ms);
 * resolves with the report line: what was done, and how long the recovery took.
 */
export type FaultRunner<F extends Fault> = (ctx: ScenarioContext, fault: F, deadline: number) => Promise<string>;

export const FAULTS: { [K in FaultKind]: FaultRunner<Extract<Fault, { kind: K }>> } = {
  link,
  partition,
  heal,
  netem,
  'boot-server': bootServerFault,
  kill,
  clock,
  'disk-full': diskFull,
  'disk-free': diskFree,
  'etcd-replace': etcdReplace,
};
