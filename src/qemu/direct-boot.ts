import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa, type Result } from 'execa';
import { HostError, LabError } from '../errors.js';

/**
 * The only place that runs qemu-system-x86_64 itself. The lab's VMs run under libvirt;
 * this boots a kernel + initrd directly, for the boot-time floor benchmark and image tests.
 */
const QEMU = 'qemu-system-x86_64';

/** A host port on 127.0.0.1 forwarded into the guest by QEMU user networking. */
export interface HostForward {
  hostPort: number;
  guestPort: number;
  protocol?: 'tcp' | 'udp';
}

export interface DirectBootOptions {
  kernel: string;
  initrd: string;
  /** Kernel command line; include console=ttyS0 to see anything. */
  append: string;
  memoryMiB?: number;
  /** More than one lets multi-threaded TCG use several host cores. */
  vcpus?: number;
  accel: 'kvm' | 'tcg';
  /** The guest's serial console is written here as it arrives. */
  consoleLog: string;
  /**
   * One virtio NIC on QEMU user networking: the guest gets 10.0.2.15 by DHCP and reaches
   * the host's 127.0.0.1 at 10.0.2.2.
   */
  net?: { mac?: string; hostForwards?: HostForward[] };
  /** Raw disk images attached as virtio disks (/dev/vda, /dev/vdb, ...), written in place. */
  disks?: string[];
  /** Boot counts as done when a complete console line shows this. */
  untilMarker: string | RegExp;
  timeoutMs: number;
  /** Console silence, while it shows only kernel lines, after which qemu is restarted once. */
  kernelStallMs?: number;
  /** Aborting kills qemu and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface DirectBootResult {
  /** From starting qemu (the second one, if restarted) to the marker appearing on the console. */
  ms: number;
  /** The console output up to the marker, carriage returns removed. */
  log: string;
  /** Whether the first qemu's kernel stalled before userspace and this is the second's result. */
  restarted: boolean;
}

const DEFAULT_MAC = '52:54:00:12:34:56';

export function qemuArgs(o: DirectBootOptions): string[] {
  const mac = o.net?.mac ?? DEFAULT_MAC;
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) {
    throw new LabError(`invalid guest MAC ${mac}`, 'use the colon form, e.g. 52:54:00:a1:9c:ae');
  }
  // Forwards bind to loopback only: nothing outside this machine can reach the guest.
  const forwards = (o.net?.hostForwards ?? []).map(
    (f) => `,hostfwd=${f.protocol ?? 'tcp'}:127.0.0.1:${f.hostPort}-:${f.guestPort}`,
  );
  return [
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    ...(o.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-m', String(o.memoryMiB ?? 256),
    '-smp', String(o.vcpus ?? 2),
    '-kernel', o.kernel,
    '-initrd', o.initrd,
    '-append', o.append,
    '-serial', 'stdio',
    '-netdev', `user,id=n0${forwards.join('')}`,
    // romfile= skips the NIC's iPXE option ROM: a direct kernel boot never uses it.
    '-device', `virtio-net-pci,netdev=n0,mac=${mac},romfile=`,
    ...(o.disks ?? []).flatMap((file) => ['-drive', `file=${file},format=raw,if=virtio`]),
    '-no-reboot',
  ];
}

function markerTest(marker: string | RegExp): (log: string) => boolean {
  if (typeof marker === 'string') return (log) => log.includes(marker);
  const re = new RegExp(marker.source, marker.flags.replace(/[gy]/g, ''));
  return (log) => re.test(log);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

/** Why qemu ended on its own before the marker: not installed, refused its options, or the guest stopped. */
function earlyExit(r: Result, log: string, o: DirectBootOptions): Error {
  if (r.code === 'ENOENT') {
    return new HostError(`${QEMU} is not installed`, 'apt-get install qemu-system-x86 (or ./metal-lab setup)');
  }
  const why = lastLine(String(r.stderr ?? '')) || `last console line: ${lastLine(log) || '(none)'}`;
  return new LabError(
    `qemu exited (code ${r.exitCode ?? r.signal}) before the console showed ${String(o.untilMarker)}: ${why}`,
    `read the console log at ${o.consoleLog}`,
  );
}

/**
 * How long the console may stay silent, by default, while it shows only the kernel's lines. The
 * kernel reaches userspace in about 3 s under TCG here; in one CI run of hundreds of boots, a
 * guest kernel stopped printing 1.2 s into its boot and never went on: the emulator, not the image.
 */
const KERNEL_STALL_MS = 60_000;

/** A printk line, `[    1.199963] ...`: everything the guest prints before its userspace runs. */
const KERNEL_LINE = /^\[\s*\d+\.\d+\]/;

class KernelStall {
  constructor(readonly lastLine: string) {}
}

/**
 * Boots `kernel` + `initrd` in a throwaway qemu and resolves once the serial console shows
 * `untilMarker`. A guest whose kernel stalls before userspace is restarted once, and the
 * console log says so. qemu is always killed before this returns or throws: on the marker, on
 * timeout, on abort, and (execa's cleanup) when this process exits.
 */
export async function bootDirect(o: DirectBootOptions): Promise<DirectBootResult> {
  o.signal?.throwIfAborted();
  const args = qemuArgs(o);
  await mkdir(path.dirname(o.consoleLog), { recursive: true });
  const logFile = createWriteStream(o.consoleLog);
  const deadline = performance.now() + o.timeoutMs;
  try {
    let result = await bootOnce(o, args, deadline, logFile, false);
    if (result instanceof KernelStall) {
      const silent = (o.kernelStallMs ?? KERNEL_STALL_MS) / 1000;
      logFile.write(`\nmetal-lab host: the guest kernel printed nothing for ${silent}s after "${result.lastLine}"; restarting qemu once\n`);
      result = await bootOnce(o, args, deadline, logFile, true);
    }
    if (result instanceof KernelStall) {
      throw new LabError(
        `the guest kernel stalled twice before userspace (last line: ${result.lastLine || '(none)'})`,
        `read the console log at ${o.consoleLog}; if this repeats, check the host's load and qemu version`,
      );
    }
    if (result instanceof Error) throw result;
    return result;
  } finally {
    await new Promise((done) => logFile.end(done));
  }
}

/** One qemu start: the marker's result, the reason it will not come, or a stalled kernel. */
async function bootOnce(
  o: DirectBootOptions,
  args: string[],
  deadline: number,
  logFile: ReturnType<typeof createWriteStream>,
  restarted: boolean,
): Promise<DirectBootResult | Error | KernelStall> {
  const matches = markerTest(o.untilMarker);
  const started = performance.now();
  const qemu = execa(QEMU, args, {
    stdin: 'ignore',
    buffer: { stdout: false },
    reject: false,
    cleanup: true,
    forceKillAfterDelay: 3000,
  });
  let log = '';
  let timer: NodeJS.Timeout | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;

  const outcome = new Promise<DirectBootResult | Error | KernelStall>((resolve) => {
    // Rearmed on every chunk until a line from userspace shows: later silences are the guest's own.
    let kernelOnly = true;
    const watchStall = () => {
      clearTimeout(stallTimer);
      if (kernelOnly) stallTimer = setTimeout(() => resolve(new KernelStall(lastLine(log))), o.kernelStallMs ?? KERNEL_STALL_MS);
    };
    watchStall();
    qemu.stdout.setEncoding('utf8');
    qemu.stdout.on('data', (chunk: string) => {
      logFile.write(chunk);
      const from = log.lastIndexOf('\n') + 1;
      log += chunk.replace(/\r/g, '');
      // Only whole lines count: a chunk can end mid-line, and a pattern like /agent (done|stopped)/
      // must not match before the rest of its line arrived.
      const whole = log.lastIndexOf('\n') + 1;
      if (matches(log.slice(0, whole))) resolve({ ms: Math.round(performance.now() - started), log, restarted });
      if (log.slice(from, whole).split('\n').some((l) => l && !KERNEL_LINE.test(l))) kernelOnly = false;
      watchStall();
    });
    timer = setTimeout(
      () =>
        resolve(
          new LabError(
            `the console did not show ${String(o.untilMarker)} within ${o.timeoutMs / 1000}s (last line: ${lastLine(log) || '(none)'})`,
            `read the console log at ${o.consoleLog}`,
          ),
        ),
      Math.max(0, deadline - started),
    );
    onAbort = () => resolve(o.signal?.reason instanceof Error ? o.signal.reason : new Error('boot aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    void qemu.then((r) => resolve(earlyExit(r, log, o)));
  });

  try {
    return await outcome;
  } finally {
    clearTimeout(timer);
    clearTimeout(stallTimer);
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    qemu.kill();
    await qemu;
  }
}
