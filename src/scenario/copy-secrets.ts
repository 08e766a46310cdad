import type { NodeSpec } from '../ground/lab-spec.js';
import { sshNodeShell } from '../kube/bootkube-start.js';
import { nodeSshTarget } from '../node/lab-target.js';
import { connectNode } from '../node/ssh.js';
import { ensureLabPki } from '../pki/ensure.js';
import { nodeSecrets } from '../render/node-secrets.js';
import type { LabAccess } from './on-node.js';

/**
 * `copy-secrets`: a node's private keys and their certificates over SSH, as Typhoon's
 * copy-controller-secrets does once a machine answers SSH; the units that need them start by
 * their path units. Each file is written as its owner's, and a key is mode 0600.
 */
export async function copySecrets(at: LabAccess, node: NodeSpec): Promise<string> {
  const files = nodeSecrets(node, await ensureLabPki(at.lab, { dir: at.paths.pki }));
  if (files.length === 0) return 'none for a worker';
  const session = await connectNode(await nodeSshTarget(at.lab, node, at.paths, at.timeoutScale));
  try {
    const shell = sshNodeShell(session, 30_000 * at.timeoutScale);
    for (const f of files) await shell.writeFile(f.path, typeof f.contents === 'string' ? f.contents : f.contents.reveal(), f.mode, f.owner);
  } finally {
    await session.close();
  }
  const keys = files.filter((f) => typeof f.contents !== 'string').length;
  return `${files.length} files over SSH (${keys} private keys, 0600): ${files.map((f) => f.path).join(', ')}; etcd.path starts etcd`;
}
