import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { seconds } from './seconds.js';

export function registerSsh(program: Command, cli: CliContext): void {
  const { host, say } = cli;
  program
    .command('ssh')
    .description('run a command on a node over SSH (a login shell without one); host keys are pinned per lab')
    .argument('<node>')
    .argument('[command...]', 'command to run; put -- before it if it has options (metal-lab ssh node1 -- ls -l /)')
    .option('--lab <lab>', 'lab id, file or name')
    .option('--timeout <seconds>', 'kill the command after this long (not the login shell)', seconds('--timeout', 600), 600)
    .option('--forget-host-key', "forget the node's pinned host key first (after a reinstall)")
    .action(async (nodeName: string, command: string[], opts: { lab?: string; timeout: number; forgetHostKey?: boolean }) => {
      // Loaded on demand: ssh2 and its crypto are not needed by any other command.
      const [{ existingLab, nodeOf }, { nodeSshTarget }, { connectNode }, { forgetHostKey }] = await Promise.all([
        import('./resolve.js'), import('../node/lab-target.js'), import('../node/ssh.js'), import('../node/known-hosts.js'),
      ]);
      const lab = await existingLab(host, opts.lab);
      const target = await nodeSshTarget(lab, nodeOf(lab, nodeName), host.lab(lab.id));
      if (opts.forgetHostKey) {
        const gone = await forgetHostKey(target.knownHostsFile, target.hostAlias);
        say(`${gone.length ? `forgot ${nodeName}'s host key ${gone.map((k) => k.fingerprint).join(', ')}` : `no host key was pinned for ${nodeName}`}`);
      }
      const session = await connectNode(target);
      if (session.hostKey.firstContact) say(`first contact with ${nodeName}: pinned its host key ${session.hostKey.fingerprint}`);
      try {
        const r = command.length
          ? await session.run(command.join(' '), { timeoutMs: opts.timeout * 1000, output: { stdout: cli.stdout, stderr: cli.stderr } })
          : await session.shell({ stdin: cli.stdin, stdout: cli.stdout, stderr: cli.stderr });
        // Like ssh: the remote exit code, 255 when there is none (killed by a signal).
        cli.exitCode = r.code ?? 255;
      } finally {
        await session.close();
      }
    });
}
