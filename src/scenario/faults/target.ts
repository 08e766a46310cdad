import { LabError } from '../../errors.js';
import type { NodeSpec } from '../../ground/lab-spec.js';
import type { ScenarioContext } from '../context.js';

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** The node a fault names (checked at load). */
export function labNode(ctx: Pick<ScenarioContext, 'lab'>, name: string): NodeSpec {
  const node = ctx.lab.nodes.find((n) => n.name === name);
  if (!node) throw new LabError(`lab ${ctx.lab.id} has no node ${name}`, `name one of its nodes: ${ctx.lab.nodes.map((n) => n.name).join(', ')}`);
  return node;
}

/** The node a fault acts on, which must be running: one a poweroff step switched off has no link, no SSH, no clock to set. */
export function faultTarget(ctx: Pick<ScenarioContext, 'lab' | 'poweredOff'>, name: string): NodeSpec {
  const node = labNode(ctx, name);
  if (ctx.poweredOff.has(name)) throw new LabError(`${name} is powered off`, `power it on first: - poweron: ${name}`);
  return node;
}
