import { LabError } from '../errors.js';
import type { LabLayout } from '../ground/host-layout.js';
import type { BootMode } from '../ground/lab-model.js';
import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { nodeSshTarget } from '../node/lab-target.js';
import { connectNode, type NodeSession } from '../node/ssh.js';
import { waitForSsh } from '../node/wait.js';
import type { StepRunner } from './steps.js';

/** A node's clock as `setNodeClock` found and left it; epoch seconds. */
export interface ClockSet {
  /** The node's clock just before it was set. */
  nodeBefore: number;
  /** The host's clock when the command left: the node was set to this plus the offset. */
  sent: number;
  /** The host's clock when the node answered. */
  answered: number;
}

/**
 * Sets the node's clock to the host's plus `offsetS`, taken as the command leaves: the node lands
 * behind by however long the command took to arrive (under `answered - sent`).
 */
export async function setNodeClock(session: NodeSession, lab: LabSpec, node: NodeSpec, offsetS: number, timeoutMs: number): Promise<ClockSet> {
  const sent = Date.now() / 1000;
  const r = await session.run(`date +%s.%N && sudo -n date -u -s @${(sent + offsetS).toFixed(3)} >/dev/null`, { timeoutMs });
  const answered = Date.now() / 1000;
  if (r.code !== 0) {
    const to = offsetS === 0 ? '$(date +%s)' : `$(($(date +%s) + ${offsetS}))`;
    throw new LabError(`setting ${node.name}'s clock failed (exit ${r.code ?? r.signal}): ${r.stderr.trim()}`, `set it by hand: metal-lab ssh ${node.name} --lab ${lab.id} -- sudo date -u -s @${to}`);
  }
  return { nodeBefore: Number(r.stdout.trim().split('\n')[0]), sent, answered };
}

/**
 * One node's clock set to the host's at once. A guest that was saved and restored missed the
 * time in between: left to drift back, certificates look not yet valid, leases expired and
 * etcd's elections fire. Returns how far behind it was, in seconds.
 */
async function stepClock(lab: LabSpec, node: NodeSpec, paths: LabLayout, timeoutScale: number): Promise<number> {
  const target = await nodeSshTarget(lab, node, paths, timeoutScale);
  await waitForSsh(target, { timeoutMs: 60_000 * timeoutScale });
  // Four guests just restored fill the host's cores: a login that has just gone through may take
  // longer than ssh's usual 20 s the second time (ha run 22b, node2, with the host busy besides).
  const session = await connectNode({ ...target, timeoutMs: 20_000 * timeoutScale });
  try {
    const set = await setNodeClock(session, lab, node, 0, 30_000 * timeoutScale);
    return set.sent - set.nodeBefore;
  } finally {
    await session.close();
  }
}

/** Every node's clock stepped to the host's, each under its own progress line. */
export async function stepNodeClocks(lab: LabSpec, boot: BootMode, paths: LabLayout, timeoutScale: number, steps: StepRunner): Promise<void> {
  if (boot === 'live') {
    steps.info('live nodes run no SSH server, so their clocks keep the jump: only installed nodes (--boot install) are stepped');
    return;
  }
  await Promise.all(lab.nodes.map((node) => steps.step('clock', node.name, async () => {
    const behind = await stepClock(lab, node, paths, timeoutScale);
    steps.info(`${node.name}: clock was ${behind.toFixed(1)} s behind the host, stepped to the host's time`);
  })));
}
