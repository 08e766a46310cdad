import type { NodeSpec } from '../ground/lab-spec.js';
import { nodeSshTarget } from '../node/lab-target.js';
import { connectNode } from '../node/ssh.js';
import type { ScenarioContext } from './context.js';

/** What reaching a node takes: the lab, and where it keeps its SSH key and PKI. */
export type LabAccess = Pick<ScenarioContext, 'lab' | 'paths' | 'timeoutScale'>;

/** Runs a command on a node over SSH; resolves with stdout, throws with the node, command and output. */
export async function onNode(at: LabAccess, node: NodeSpec, command: string, timeoutMs = 60_000): Promise<string> {
  const session = await connectNode(await nodeSshTarget(at.lab, node, at.paths, at.timeoutScale));
  try {
    const r = await session.run(command, { timeoutMs });
    if (r.code !== 0) throw new Error(`${node.name}: \`${command.split(' ')[0]}\` exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  } finally {
    await session.close();
  }
}
