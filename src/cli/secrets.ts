import type { Command } from 'commander';
import { LabError } from '../errors.js';
import type { CliContext } from './context.js';

/**
 * `metal-lab secrets [lab]`: what a scenario's copy-secrets step does, for a lab brought up by
 * hand: each controller's keys over SSH, which its etcd waits for (Ignition carries none).
 */
export function registerSecrets(program: Command, cli: CliContext): void {
  const { host, say } = cli;
  program
    .command('secrets')
    .description("copy each controller's private keys over SSH, which its etcd waits for (after up --boot install, once the nodes answer SSH)")
    .argument('[lab]', 'lab id, file or name')
    .action(async (arg?: string) => {
      // Loaded on demand: ssh2 and its crypto are not needed by any other command.
      const [{ existingLab }, { readLabState }, { copySecrets }] = await Promise.all([import('./resolve.js'), import('../lab/state.js'), import('../scenario/copy-secrets.js')]);
      const lab = await existingLab(host, arg);
      const paths = host.lab(lab.id);
      const state = await readLabState(paths);
      if (!state) throw new LabError(`lab ${lab.id} is not up`, `bring it up first: metal-lab up ${arg ?? lab.id} --boot install`, 2);
      for (const node of lab.nodes) say(`${node.name}: ${await copySecrets({ lab, paths, timeoutScale: state.timeoutScale }, node)}`);
    });
}
