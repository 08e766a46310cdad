import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { LabLayout } from '../ground/host-layout.js';
import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { DEFAULT_SILENCE_MS, SSH_PORT, type SshTarget } from './ssh.js';

/** Container Linux's login user; Ignition gives it the lab's SSH key. */
export const NODE_USER = 'core';

/**
 * How to reach one node of a lab over SSH: its reserved address, the lab key, the lab's
 * known_hosts. `timeoutScale` (the accelerator's, x6 under TCG) stretches the silence a
 * connection tolerates, as it stretches every other wait.
 */
export async function nodeSshTarget(lab: LabSpec, node: NodeSpec, paths: Pick<LabLayout, 'sshKey' | 'knownHosts'>, timeoutScale = 1): Promise<SshTarget> {
  const privateKey = await fs.readFile(paths.sshKey).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new LabError(`lab ${lab.id} has no SSH key (${paths.sshKey})`, `bring the lab up first: metal-lab up ${path.relative(process.cwd(), lab.file)}`);
    throw err;
  });
  return { host: node.ip, port: SSH_PORT, user: NODE_USER, privateKey, knownHostsFile: paths.knownHosts, hostAlias: node.name, silenceMs: DEFAULT_SILENCE_MS * timeoutScale };
}
