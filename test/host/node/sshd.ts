import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { packageFile, program } from '../../support/needs.js';

/**
 * A real OpenSSH sshd on 127.0.0.1 for the SSH tests: its own config, host key and
 * authorized_keys in a temp dir, nothing of the host's ssh service touched.
 */

export const SSHD = '/usr/sbin/sshd';

/** What the SSH tests need: sshd, ssh-keygen for its keys, pgrep to see its processes. */
export const SSHD_NEEDS = [packageFile(SSHD, 'openssh-server'), program('ssh-keygen', 'openssh-client'), program('pgrep', 'procps')];

export async function keyPair(dir: string, name: string): Promise<{ file: string; privateKey: Buffer; publicKey: string }> {
  const file = path.join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { file, privateKey: await fs.readFile(file), publicKey: await fs.readFile(`${file}.pub`, 'utf8') };
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Starts `sshd -D -e` and resolves once it listens; the test's teardown stops it. As root, sshd insists on its privilege
 * separation dir /run/sshd; rather than create it on the host, sshd gets a private /run in
 * its own mount namespace.
 */
export async function startSshd(t: { teardown(fn: () => Promise<void>): void }, opts: { dir: string; port: number; authorizedKey: string; hostKeyName?: string }) {
  const hostKey = await keyPair(opts.dir, opts.hostKeyName ?? 'host_ed25519');
  const authorized = path.join(opts.dir, 'authorized_keys');
  await fs.writeFile(authorized, opts.authorizedKey);
  const config = path.join(opts.dir, `sshd_config.${opts.hostKeyName ?? 'host'}`);
  await fs.writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${opts.port}`,
      `HostKey ${hostKey.file}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      'PidFile none',
      'Subsystem sftp internal-sftp',
      // HOME is the test's dir: the user's shell reads none of the host's dotfiles.
      `SetEnv HOME=${opts.dir}`,
      '',
    ].join('\n'),
  );
  const args = ['-D', '-e', '-f', config];
  const asRoot = process.getuid?.() === 0 && !existsSync('/run/sshd');
  const proc: ResultPromise = asRoot
    ? execa('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs -o mode=755 sshd-test /run && mkdir -m 755 /run/sshd && exec "$@"', 'sh', SSHD, ...args], { reject: false })
    : execa(SSHD, args, { reject: false });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    // Generous: under load sshd takes seconds to start; on an idle machine, milliseconds.
    const timer = setTimeout(() => reject(new Error(`sshd did not start within 30s: ${log}`)), 30_000);
    proc.stderr?.on('data', (b: Buffer) => {
      log += b.toString();
      if (/Server listening on 127\.0\.0\.1 port/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void proc.then((r) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited ${r.exitCode}: ${log}`));
    });
  });
  const stop = async () => {
    // Let per-connection sshd children exit first: orphaned, they would stay as zombies.
    for (let i = 0; i < 20 && (await execa('pgrep', ['-P', String(proc.pid)], { reject: false })).exitCode === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGTERM');
    await proc;
  };
  t.teardown(stop);
  return { port: opts.port, hostKey, stop, freeze: (ms: number) => freeze(proc.pid!, ms) };
}

/** The processes below pid, its per-connection sshd children and their sessions. */
async function descendants(pid: number): Promise<number[]> {
  const children = (await execa('pgrep', ['-P', String(pid)], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
  return [...children, ...(await Promise.all(children.map(descendants))).flat()];
}

/**
 * Stops every connection's sshd for `ms`, as a guest whose vCPUs are descheduled stops
 * answering: the TCP connections stay open, nothing is read or sent. Resolves once they are
 * stopped, so what the test sends next meets a stopped sshd; `thawed` resolves when they resume.
 */
async function freeze(pid: number, ms: number): Promise<{ thawed: Promise<void> }> {
  const pids = await descendants(pid);
  const signal = (sig: NodeJS.Signals) => {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch (err) {
        // pgrep lists processes that may be gone by now, e.g. sshd's short-lived helpers.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  };
  signal('SIGSTOP');
  const thawed = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(() => signal('SIGCONT'));
  return { thawed };
}
