import fs from 'node:fs';
import net from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { LabError } from '../errors.js';
import { verifyHostKey, type HostKeyCheck } from './known-hosts.js';

/** Everything needed to reach one node. */
export interface SshTarget {
  host: string;
  port?: number;
  user: string;
  privateKey: Buffer | string;
  /** The lab's known_hosts file, where the node's host key is pinned. */
  knownHostsFile: string;
  /** The name the key is pinned under and errors use: the node's name. */
  hostAlias: string;
  /** TCP connect + SSH handshake + authentication. */
  timeoutMs?: number;
  /**
   * How long the node may go silent before the connection counts as lost (default 30 s).
   * Under TCG a guest's vCPUs can stall for minutes without anything being wrong (soft
   * lockups of 26-175 s were logged in a bootstrap run), while TCP would wait them out.
   */
  silenceMs?: number;
}

export interface RunOptions {
  timeoutMs: number;
  /** Written to the command's stdin, which is then closed (it is closed at once without). */
  input?: string | Buffer;
  /** Send output here as it arrives instead of collecting it (the result's stdout/stderr stay empty). */
  output?: { stdout: Writable; stderr: Writable };
}

export interface SshCommandResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed by a signal. */
  code: number | null;
  signal: string | null;
}

export interface CopyOptions {
  /** Default: the local file's mode for copyTo(path), 0644 for copyTo(Buffer), the remote file's for copyFrom. */
  mode?: number;
  timeoutMs?: number;
}

/** The local side of an interactive shell; a TTY stdin gets a pty and raw mode. */
export interface Terminal {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { columns?: number; rows?: number };
  stderr: Writable;
}

export interface NodeSession {
  readonly alias: string;
  /** The node's host key, and whether this connection pinned it (first contact). */
  readonly hostKey: HostKeyCheck;
  run(command: string, opts: RunOptions): Promise<SshCommandResult>;
  copyTo(source: string | Buffer, remotePath: string, opts?: CopyOptions): Promise<void>;
  copyFrom(remotePath: string, localPath: string, opts?: CopyOptions): Promise<void>;
  /** The user's login shell; no timeout: it lasts as long as the user wants it. */
  shell(term: Terminal): Promise<Pick<SshCommandResult, 'code' | 'signal'>>;
  /** Resolves once the connection is closed. */
  close(): Promise<void>;
}

export const SSH_PORT = 22;
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_COPY_TIMEOUT_MS = 120_000;
/** The silence a KVM guest may keep before its connection counts as lost. */
export const DEFAULT_SILENCE_MS = 30_000;
const KEEPALIVE_INTERVAL_MS = 10_000;

const seconds = (ms: number) => `${+(ms / 1000).toFixed(1)}s`;
const quoteCommand = (cmd: string) => `\`${cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd}\``;

/** Rejects with `onTimeout()` (after calling it) if `work` has not settled within `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A connection failure, with the cause kept short: waitForSsh reports it as "last error". */
export class SshConnectError extends LabError {
  constructor(
    readonly target: string,
    readonly reason: 'connection refused' | 'auth failed' | 'timeout' | 'unreachable' | 'closed' | 'error',
    readonly detail: string,
    fix: string,
  ) {
    super(`${target}: ${reason}${detail ? ` (${detail})` : ''}`, fix);
  }

  /** The cause without the target, e.g. "auth failed (publickey for core)". */
  get summary(): string {
    return `${this.reason}${this.detail ? ` (${this.detail})` : ''}`;
  }
}

function connectError(t: SshTarget, err: Error & { code?: string; level?: string }, timeoutMs: number): SshConnectError {
  const where = `ssh ${t.user}@${t.host}:${t.port ?? SSH_PORT} (${t.hostAlias})`;
  if (err.code === 'ECONNREFUSED') return new SshConnectError(where, 'connection refused', '', `sshd is not listening on ${t.hostAlias} yet: is it booted (metal-lab status, metal-lab logs ${t.hostAlias})?`);
  if (err.level === 'client-authentication') return new SshConnectError(where, 'auth failed', `publickey for ${t.user}`, `${t.hostAlias} does not accept the lab key: check its Ignition config authorizes the lab's public key for ${t.user}`);
  if (err.level === 'client-timeout') return new SshConnectError(where, 'timeout', `no SSH login within ${seconds(timeoutMs)}`, `check ${t.hostAlias} is up and has its address (metal-lab status)`);
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return new SshConnectError(where, 'unreachable', err.code, `check ${t.hostAlias} is up and has its address (metal-lab status)`);
  if (err.code === 'ECONNRESET' || err.message.includes('closed')) return new SshConnectError(where, 'closed', err.message, `sshd on ${t.hostAlias} dropped the connection: it may still be starting; see metal-lab logs ${t.hostAlias}`);
  return new SshConnectError(where, 'error', err.message, `see metal-lab logs ${t.hostAlias}`);
}

/**
 * Opens an authenticated SSH session to a node. Its host key is pinned in the lab's
 * known_hosts on first contact; a different key later is refused with a LabError.
 */
export async function connectNode(t: SshTarget): Promise<NodeSession> {
  const client = new Client();
  const timeoutMs = t.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const where = `${t.host}:${t.port ?? SSH_PORT}`;
  // Our own socket, so that it can be destroyed: ssh2's destroy() skips a socket it has
  // already ended (mscdex/ssh2#1124), which then waits on a silent node for minutes.
  const sock = net.connect({ host: t.host, port: t.port ?? SSH_PORT });
  let hostKey: HostKeyCheck | undefined;
  let refusal: unknown;
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    // Stays attached: ssh2 can emit more errors after the first, and errors after login
    // surface through the pending call they break.
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      // ssh2 only says "verification failed": the pinning error says why and what to do.
      reject(refusal ?? connectError(t, err, timeoutMs));
    };
    client
      .once('ready', () => {
        settled = true;
        resolve();
      })
      .on('error', fail)
      .once('close', () => fail(new Error('connection closed before login')))
      .connect({
        sock,
        username: t.user,
        privateKey: t.privateKey,
        readyTimeout: timeoutMs,
        // A node that vanishes mid-command (reboot, crash) is noticed after silenceMs.
        keepaliveInterval: KEEPALIVE_INTERVAL_MS,
        keepaliveCountMax: Math.max(1, Math.ceil((t.silenceMs ?? DEFAULT_SILENCE_MS) / KEEPALIVE_INTERVAL_MS)),
        // Not async: ssh2 treats any returned value, a Promise included, as the verdict.
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          verifyHostKey(t.knownHostsFile, t.hostAlias, key, where).then(
            (check) => { hostKey = check; verify(true); },
            (err: unknown) => { refusal = err; verify(false); },
          );
        },
      });
  });
  // ssh2 emits 'ready' only after the verifier accepted, so hostKey is set here.
  return session(client, sock, t.hostAlias, hostKey!);
}

/** Marks the pid line in a session's stderr, apart from whatever the login shell prints first. */
const PID_MARK = 'metal-lab-pid:';

/** Takes the pid line out of the stderr read so far; what the login shell printed before it stays. */
function takePidLine(head: Buffer): { pid: number; rest: Buffer } | undefined {
  // latin1: one char per byte, so the match's offsets are the buffer's.
  const m = new RegExp(`(?:^|\\n)${PID_MARK}(\\d+)\\n`).exec(head.toString('latin1'));
  if (!m) return undefined;
  const start = m.index + m[0].indexOf(PID_MARK);
  return { pid: Number(m[1]), rest: Buffer.concat([head.subarray(0, start), head.subarray(m.index + m[0].length)]) };
}

type ExitStatus = Pick<SshCommandResult, 'code' | 'signal'>;
/** A channel and its exit status, `code` and `signal` both null until the status arrives. */
type Opened = { ch: ClientChannel; status: ExitStatus };

/**
 * The callback for ssh2's exec and shell, listening for the exit status from the start: a quick
 * command's status can come in the same read as the channel's confirmation, and ssh2 emits it
 * before an awaiting caller could listen.
 */
function opened(resolve: (o: Opened) => void, reject: (err: Error) => void) {
  return (err: Error | undefined, ch: ClientChannel) => {
    if (err) return reject(err);
    const status: ExitStatus = { code: null, signal: null };
    ch.on('exit', (code: number | null, signal?: string) => Object.assign(status, { code, signal: signal ?? null }));
    resolve({ ch, status });
  };
}

function session(client: Client, sock: net.Socket, alias: string, hostKey: HostKeyCheck): NodeSession {
  let closed = false;
  client.once('close', () => (closed = true));
  const exec = (command: string) => new Promise<Opened>((resolve, reject) => client.exec(command, opened(resolve, reject)));

  const sftp = () => new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));

  /** Runs one SFTP transfer with a timeout; the channel is closed either way. */
  async function transfer(what: string, timeoutMs: number, fn: (s: SFTPWrapper) => Promise<void>): Promise<void> {
    let s: SFTPWrapper | undefined;
    try {
      const work = (async () => {
        s = await sftp();
        await fn(s);
      })();
      await withTimeout(work, timeoutMs, () =>
        new LabError(`${alias}: ${what} did not finish within ${seconds(timeoutMs)}`, 'check the node is responsive, or pass a longer timeoutMs for large files'),
      );
    } catch (err) {
      if (err instanceof LabError) throw err;
      throw new LabError(`${alias}: ${what} failed: ${(err as Error).message}`, 'check the path exists and the user may read/write it');
    } finally {
      s?.end();
    }
  }

  /** Best effort, briefly: the connection may be what hangs. */
  async function killGroup(pid: number): Promise<void> {
    const kill = exec(`kill -KILL -- -${pid}`).then(({ ch }) => {
      ch.stderr.resume();
      return new Promise((resolve) => ch.on('close', resolve).resume().end());
    });
    await withTimeout(kill, 5000, () => new Error('kill timed out')).catch(() => {});
  }

  const chmod = (s: SFTPWrapper, p: string, mode: number) =>
    new Promise<void>((resolve, reject) => s.chmod(p, mode, (err) => (err ? reject(err) : resolve())));

  return {
    alias,
    hostKey,

    async run(command, opts) {
      let ch: ClientChannel | undefined;
      let pid: number | undefined;
      // Under load the shell may report its pid after the timeout fired: the kill waits for it.
      let pidReported: () => void = () => {};
      const pidKnown = new Promise<void>((resolve) => (pidReported = resolve));
      const done = (async (): Promise<SshCommandResult> => {
        // The login shell reports its pid first: sshd made it a process group leader, so on
        // timeout the whole group can be killed. (ssh2 1.17 cannot send a signal request once
        // stdin is closed, mscdex/ssh2#1510, and sshd refuses them for root logins anyway.)
        const { ch: channel, status } = await exec(`echo ${PID_MARK}$$ >&2\n${command}`).catch((err: unknown) => {
          pidReported(); // no channel, so no command and no pid to wait for
          throw err;
        });
        ch = channel;
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let head = Buffer.alloc(0);
        channel.on('data', (b: Buffer) => (opts.output ? opts.output.stdout.write(b) : out.push(b)));
        const writeErr = (b: Buffer) => b.length > 0 && (opts.output ? opts.output.stderr.write(b) : errOut.push(b));
        channel.stderr.on('data', (b: Buffer) => {
          if (pid === undefined) {
            head = Buffer.concat([head, b]);
            const found = takePidLine(head);
            if (!found) return;
            pid = found.pid;
            pidReported();
            b = found.rest;
          }
          writeErr(b);
        });
        channel.end(opts.input);
        // 'close' comes after all output and the exit status.
        await new Promise((resolve) => channel.on('close', resolve));
        if (pid === undefined) writeErr(head); // the shell died before its pid line
        pidReported();
        return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8'), ...status };
      })();
      try {
        return await withTimeout(done, opts.timeoutMs, () =>
          new LabError(
            `${alias}: ${quoteCommand(command)} did not finish within ${seconds(opts.timeoutMs)}; killed it`,
            'find out why it hangs on the node, or give it a longer timeout',
          ),
        ).then((result) => {
          if (result.code === null && result.signal === null) {
            throw new LabError(`${alias}: connection lost while running ${quoteCommand(command)}`, `check ${alias} is still up (metal-lab status)`);
          }
          return result;
        });
      } catch (err) {
        // Closing our channel would leave the command running: sshd does not kill it. Under load
        // the timeout can fire before the channel is even open: the command starts later all the
        // same, so wait for its pid then too.
        if (!closed) await withTimeout(pidKnown, 10_000, () => new Error('no pid')).catch(() => {});
        if (pid && Number.isInteger(pid)) await killGroup(pid);
        ch?.close();
        if (err instanceof LabError) throw err;
        throw new LabError(`${alias}: cannot run ${quoteCommand(command)}: ${(err as Error).message}`, `check ${alias} is still up (metal-lab status)`);
      }
    },

    async copyTo(source, remotePath, opts = {}) {
      const what = `copy ${Buffer.isBuffer(source) ? `${source.length} bytes` : source} to ${alias}:${remotePath}`;
      await transfer(what, opts.timeoutMs ?? DEFAULT_COPY_TIMEOUT_MS, async (s) => {
        const mode = opts.mode ?? (Buffer.isBuffer(source) ? 0o644 : (await fs.promises.stat(source)).mode & 0o777);
        const from = Buffer.isBuffer(source) ? Readable.from([source]) : fs.createReadStream(source);
        await pipeline(from, s.createWriteStream(remotePath, { mode }));
        // The mode given at open is filtered by sshd's umask; set it exactly.
        await chmod(s, remotePath, mode);
      });
    },

    async copyFrom(remotePath, localPath, opts = {}) {
      await transfer(`copy ${alias}:${remotePath} to ${localPath}`, opts.timeoutMs ?? DEFAULT_COPY_TIMEOUT_MS, async (s) => {
        const st = await new Promise<{ mode: number }>((resolve, reject) => s.stat(remotePath, (err, a) => (err ? reject(err) : resolve(a))));
        const mode = opts.mode ?? st.mode & 0o777;
        await pipeline(s.createReadStream(remotePath), fs.createWriteStream(localPath, { mode }));
        await fs.promises.chmod(localPath, mode);
      });
    },

    async shell(term) {
      const tty = Boolean(term.stdin.isTTY && term.stdin.setRawMode);
      const window = { rows: term.stdout.rows ?? 24, cols: term.stdout.columns ?? 80, term: process.env.TERM ?? 'xterm-256color' };
      const { ch, status } = await new Promise<Opened>((resolve, reject) => client.shell(tty ? window : false, opened(resolve, reject)));
      const resize = () => ch.setWindow(term.stdout.rows ?? 24, term.stdout.columns ?? 80, 0, 0);
      if (tty) {
        term.stdin.setRawMode?.(true);
        term.stdout.on('resize', resize);
      }
      term.stdin.pipe(ch);
      ch.pipe(term.stdout, { end: false });
      ch.stderr.pipe(term.stderr, { end: false });
      try {
        return await new Promise((resolve) => ch.on('close', () => resolve(status)));
      } finally {
        term.stdin.unpipe(ch);
        term.stdin.pause();
        if (tty) {
          term.stdin.setRawMode?.(false);
          term.stdout.off('resize', resize);
        }
      }
    },

    close() {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // A node that stopped answering never acknowledges the disconnect.
        const timer = setTimeout(() => sock.destroy(), 2000);
        client.once('close', () => resolve(clearTimeout(timer))).end();
      });
    },
  };
}
