import { LabError } from '../errors.js';
import { pending, waitFor, WaitTimeoutError } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';
import { HostKeyChangedError } from './known-hosts.js';
import { connectNode, SshConnectError, SSH_PORT, type SshTarget } from './ssh.js';

export interface SshAttempt {
  attempt: number;
  /** Why this attempt failed, e.g. "connection refused". */
  error: string;
  /** How long until the next attempt. */
  nextInMs: number;
}

export interface WaitForSshOptions {
  timeoutMs: number;
  onAttempt?: (a: SshAttempt) => void;
  /** Backoff: first delay, doubling up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

const MIN_ATTEMPT_MS = 1000;

/**
 * One SSH attempt of a wait that polls, at KVM speed; callers multiply it by the timeout scale.
 * An attempt cut short does not stop the node's sshd, which goes on with the key exchange: on a
 * busy 1-vCPU TCG guest, a new 5 s attempt every second piled up dozens of such handshakes
 * (sshd's MaxStartups dropped connections), and none finished in 6 minutes.
 */
export const SSH_ATTEMPT_MS = 5_000;

/**
 * Waits until the node accepts an SSH login and runs `true`, retrying with exponential
 * backoff. A changed host key is not retried: waiting will not make it right.
 */
export async function waitForSsh(t: SshTarget, opts: WaitForSshOptions): Promise<{ attempts: number; ms: number }> {
  const start = Date.now();
  const deadline = start + opts.timeoutMs;
  const first = opts.firstDelayMs ?? 500;
  let last: LabError | undefined;
  let attempts = 0;
  const reason = (err: LabError) => (err instanceof SshConnectError ? err.summary : err.message);
  const login = async () => {
    attempts++;
    const left = deadline - labNow();
    try {
      // An attempt ends with the wait, but gets enough time for a handshake: an attempt cut
      // to nothing would report "timeout" and hide the real last error.
      const s = await connectNode({ ...t, timeoutMs: Math.max(MIN_ATTEMPT_MS, Math.min(left, t.timeoutMs ?? left)) });
      try {
        const r = await s.run('true', { timeoutMs: Math.max(MIN_ATTEMPT_MS, deadline - labNow()) });
        if (r.code === 0) return true;
        last = new LabError(`\`true\` exited ${r.code ?? r.signal}`, 'see the node console log');
      } finally {
        await s.close();
      }
    } catch (err) {
      if (!(err instanceof LabError) || err instanceof HostKeyChangedError) throw err;
      last = err;
    }
    return pending(reason(last));
  };
  try {
    await waitFor(`an SSH login to ${t.hostAlias}`, login, {
      deadline,
      intervalMs: (attempt) => Math.min(first * 2 ** (attempt - 1), opts.maxDelayMs ?? 8000),
      // What the probe lets through (a bug, a changed host key) is not worth waiting for.
      fatal: () => true,
      onRetry: (r) => opts.onAttempt?.({ attempt: r.attempt, error: r.state, nextInMs: r.nextInMs }),
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError) || !last) throw err;
    throw new LabError(
      `${t.hostAlias}: no SSH login as ${t.user} at ${t.host}:${t.port ?? SSH_PORT} within ${+(opts.timeoutMs / 1000).toFixed(1)}s (${attempts} attempt${attempts === 1 ? '' : 's'}); last error: ${reason(last)}`,
      last.fix,
    );
  }
  return { attempts, ms: Date.now() - start };
}
