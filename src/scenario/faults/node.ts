import { LabError } from '../../errors.js';
import { setNodeClock, type ClockSet } from '../../lab/node-clocks.js';
import { nodeSshTarget } from '../../node/lab-target.js';
import { connectNode } from '../../node/ssh.js';
import type { Fault, KillableUnit } from '../../spec/fault-steps.js';
import { labNow } from '../../toolkit/lab-clock.js';
import { pending, waitFor } from '../../toolkit/wait-for.js';
import { nodeEvidence } from '../context.js';
import { etcdHealth } from '../etcd.js';
import { EvidenceError } from '../evidence.js';
import { onNode } from '../on-node.js';
import type { FaultRunner } from './index.js';
import { faultTarget, seconds } from './target.js';

type FaultOf<K extends Fault['kind']> = Extract<Fault, { kind: K }>;

/** A shell script run as root on the node: `sudo -n sh -c '<script>'`. */
export function asRoot(script: string): string {
  return `sudo -n sh -c '${script.replaceAll("'", `'\\''`)}'`;
}

/** `KEY=value` lines (systemctl show, an EnvironmentFile, our scripts' reports); blanks, comments and other lines skipped, surrounding double quotes dropped as systemd drops them. */
export function keyValues(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) pairs.set(m[1]!, m[2]!.trim().replace(/^"(.*)"$/, '$1'));
  }
  return pairs;
}

function required(pairs: Map<string, string>, key: string, source: string): string {
  const value = pairs.get(key);
  if (value === undefined) throw new Error(`${source} printed no ${key}`);
  return value;
}

/** The systemd units behind `kill`'s names on labos: Debian's etcd.service and containerd.service, our kubelet.service (Ignition). */
export const UNITS: Record<KillableUnit, string> = { etcd: 'etcd.service', kubelet: 'kubelet.service', containerd: 'containerd.service' };

/** Restart= values under which systemd starts a unit again after its main process dies of SIGKILL (systemd.service(5)). */
const RESTARTS_AFTER_KILL = ['always', 'on-failure', 'on-abnormal', 'on-abort'];

export interface UnitState {
  load: string;
  active: string;
  sub: string;
  /** 0 when nothing runs. */
  mainPid: number;
  restart: string;
  /** How often systemd has restarted it under Restart= since the unit was loaded. */
  restarts: number;
}

// As root, which systemctl serves over its own socket, with or without a system bus.
export const unitStateCommand = (unit: string): string => `sudo -n systemctl show -p LoadState -p ActiveState -p SubState -p MainPID -p Restart -p NRestarts ${unit}`;

export function parseUnitState(show: string): UnitState {
  const p = keyValues(show);
  const get = (key: string) => required(p, key, 'systemctl show');
  return { load: get('LoadState'), active: get('ActiveState'), sub: get('SubState'), mainPid: Number(get('MainPID')), restart: get('Restart'), restarts: Number(get('NRestarts')) };
}

const describeUnit = (s: UnitState): string => `${s.active} (${s.sub})${s.mainPid ? ` as pid ${s.mainPid}` : ''}`;

/** Why the unit cannot be killed and proven back, or undefined if it can. */
export function unkillable(unit: string, s: UnitState): string | undefined {
  if (s.load !== 'loaded') return `${unit} is ${s.load} there`;
  if (!RESTARTS_AFTER_KILL.includes(s.restart)) return `${unit} has Restart=${s.restart}: systemd would leave it dead after a SIGKILL`;
  if (s.active !== 'active' || s.mainPid === 0) return `${unit} is not running there: ${describeUnit(s)}`;
  return undefined;
}

/**
 * Only the main process, as a crash would: containerd's unit (KillMode=process) also holds the
 * containers' shims, which a crash of containerd leaves running and containerd finds again.
 */
export const killCommand = (unit: string): string => `sudo -n systemctl kill --kill-whom=main --signal=SIGKILL ${unit}`;

export const kill: FaultRunner<FaultOf<'kill'>> = async (ctx, fault, deadline) => {
  const node = faultTarget(ctx, fault.node);
  const unit = UNITS[fault.unit];
  const state = async () => parseUnitState(await onNode(ctx, node, unitStateCommand(unit)));
  const before = await state();
  const why = unkillable(unit, before);
  if (why) throw new LabError(`cannot kill ${fault.unit} on ${node.name}: ${why}`, 'kill a unit the node runs: etcd on controllers; kubelet and containerd on every node of a Kubernetes lab, after bootstrap');
  await onNode(ctx, node, killCommand(unit));
  const killed = Date.now();
  const evidence = () => nodeEvidence(ctx, node);
  const after = await waitFor(
    `${unit} on ${node.name} to run again after SIGKILL of pid ${before.mainPid}`,
    async () => {
      const s = await state();
      return s.active === 'active' && s.mainPid !== 0 && s.mainPid !== before.mainPid ? s : pending(describeUnit(s));
    },
    { deadline, intervalMs: 500, evidence, signal: ctx.signal, fix: `look at its journal: metal-lab ssh ${node.name} --lab ${ctx.lab.id} -- journalctl -u ${unit}` },
  );
  const back = `${fault.unit} SIGKILLed (pid ${before.mainPid}); systemd restarted it (Restart=${before.restart}, NRestarts ${before.restarts} -> ${after.restarts}): active again as pid ${after.mainPid} after ${seconds(Date.now() - killed)}`;
  if (fault.unit !== 'etcd') return back;
  await waitFor(`etcd on ${node.name} to answer endpoint health after its restart`, () => etcdHealth(ctx, node), { deadline, evidence, signal: ctx.signal });
  return `${back}, healthy after ${seconds(Date.now() - killed)}`;
};

/** How close a read-back must be to the offset asked for, beyond what the commands' transit leaves open. */
const CLOCK_TOLERANCE_S = 2;

/** Time sync daemons a Debian node might run; any of them would pull a set clock back. */
const TIME_SYNC_UNITS = ['systemd-timesyncd.service', 'chrony.service', 'ntpsec.service', 'ntp.service', 'openntpd.service'];

/** The node's clock, then the state of each time sync unit (one line each; `is-active` exits non-zero for inactive ones). */
export const clockReadCommand = `date +%s.%N; sudo -n systemctl is-active ${TIME_SYNC_UNITS.join(' ')} || true`;

/** The node's clock (epoch s) and the time sync units that are active, from clockReadCommand's output. */
export function parseClockRead(out: string): { node: number; syncing: string[] } {
  const [clock, ...states] = out.trim().split('\n');
  const node = Number(clock);
  if (!Number.isFinite(node)) throw new Error(`date printed ${JSON.stringify(clock)}, not seconds`);
  if (states.length !== TIME_SYNC_UNITS.length) throw new Error(`systemctl is-active printed ${states.length} states for ${TIME_SYNC_UNITS.length} units: ${states.join(' ')}`);
  return { node, syncing: TIME_SYNC_UNITS.filter((_, i) => states[i]?.trim() === 'active') };
}

/**
 * The node's offset from the host as read back, and whether it is the one asked for. The set
 * left the node behind by up to the set command's transit; the reading was taken somewhere
 * within the read command's. Both widen the window, then CLOCK_TOLERANCE_S either side.
 */
export function clockOffsetCheck(set: ClockSet, read: { node: number; sent: number; answered: number }, wantS: number): { offsetS: number; ok: boolean } {
  const offsetS = read.node - (read.sent + read.answered) / 2;
  const earliest = read.sent + wantS - (set.answered - set.sent) - CLOCK_TOLERANCE_S;
  const latest = read.answered + wantS + CLOCK_TOLERANCE_S;
  return { offsetS, ok: read.node >= earliest && read.node <= latest };
}

const signed = (s: number, digits = 1) => `${s >= 0 ? '+' : ''}${s.toFixed(digits)}s`;

export const clock: FaultRunner<FaultOf<'clock'>> = async (ctx, fault, deadline) => {
  const node = faultTarget(ctx, fault.node);
  const session = await connectNode(await nodeSshTarget(ctx.lab, node, ctx.paths, ctx.timeoutScale));
  try {
    const timeoutMs = Math.max(5_000, deadline - labNow());
    const set = await setNodeClock(session, ctx.lab, node, fault.offsetS, timeoutMs);
    const sent = Date.now() / 1000;
    const r = await session.run(clockReadCommand, { timeoutMs });
    const answered = Date.now() / 1000;
    if (r.code !== 0) throw new Error(`${node.name}: reading the clock back exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
    const read = parseClockRead(r.stdout);
    const check = clockOffsetCheck(set, { node: read.node, sent, answered }, fault.offsetS);
    const was = signed(set.nodeBefore - set.sent);
    if (!check.ok) {
      throw new EvidenceError(`${node.name}'s clock reads ${signed(check.offsetS)} from the host's after setting it to ${signed(fault.offsetS, 0)} (it was ${was})`, await nodeEvidence(ctx, node));
    }
    const asked = fault.offsetS === 0 ? "set to the host's time" : `set to the host's ${signed(fault.offsetS, 0)}`;
    const sync = read.syncing.length ? `${read.syncing.join(', ')} active: it will pull the clock back` : 'no time sync daemon runs to undo it';
    return `clock ${asked} (it was ${was}); reads ${signed(check.offsetS)} back (read in ${seconds((answered - sent) * 1000)}); ${sync}`;
  } finally {
    await session.close();
  }
};

/** The file a disk-full step fills the filesystem with, in the directory it names. */
export const FILL_FILE = '.metal-lab-disk-full';
const fillPath = (dir: string) => `${dir.replace(/\/+$/, '')}/${FILL_FILE}`;

/** statfs of a path, in blocks of `blockSize` bytes. */
export interface FsStat {
  /** Free blocks, root's reserve included (%f). */
  free: number;
  /** Free blocks for anyone but root (%a). */
  avail: number;
  /** Data blocks of the filesystem (%b). */
  blocks: number;
  blockSize: number;
}

const FS_STAT = 'stat -f -c "%f %a %b %S"';

export function parseFsStat(line: string): FsStat {
  const n = line.trim().split(/\s+/).map(Number);
  if (n.length !== 4 || n.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`stat -f printed ${JSON.stringify(line.trim())}, not four block counts`);
  const [free, avail, blocks, blockSize] = n as [number, number, number, number];
  return { free, avail, blocks, blockSize };
}

/** ext4 keeps 2% of its blocks, at most 4096, back even from root (ext4_calculate_resv_clusters). */
export const ext4KeptBack = (s: FsStat): number => Math.min(Math.floor(s.blocks / 50), 4096);

/**
 * What fallocate takes in one go: every free block, root's reserve included, less what ext4 keeps
 * back even from root and 1 MiB for the extent tree. dd writes the rest until the filesystem refuses.
 */
export function bulkFillBytes(s: FsStat): number {
  return Math.max(0, (s.free - ext4KeptBack(s)) * s.blockSize - 1024 * 1024);
}

/**
 * Fills the filesystem holding `dir` to the last block root may write: fallocate for the bulk (dd
 * alone where the filesystem has no fallocate), then dd appending zeros until "No space left", in
 * ever smaller blocks.
 * Then a root write is tried and must be refused. Prints fallocate=, took=, fs= and probe=.
 */
export function fillScript(dir: string, bulkBytes: number): string {
  const file = fillPath(dir);
  return [
    `f=${file}`,
    `if out=$(fallocate -l ${bulkBytes} "$f" 2>&1); then echo fallocate=ok; else echo "fallocate=$(printf %s "$out" | tr "\\n" " ")"; fi`,
    // ext4 refuses a write while it holds room back for the extent blocks that dirty data may
    // still need; once synced that room is free again (4 MiB in a faults run), so smaller writes
    // go on until a block-sized one is refused too.
    `for bs in 1M 64K 4K; do`,
    `  out=$(dd if=/dev/zero of="$f" bs=$bs oflag=append conv=notrunc 2>&1)`,
    `  case "$out" in *"No space left on device"*) ;; *) echo "dd stopped before the filesystem was full: $out" >&2; exit 1;; esac`,
    `  sync -f "$f"`,
    `done`,
    // The last few blocks go to files of one byte each: a 4 KiB append may want an extent block too.
    `mkdir -p "$f.d"`,
    `i=0; while [ $i -lt 100000 ] && printf x > "$f.d/$i" 2>/dev/null; do i=$((i+1)); done`,
    `rm -f "$f.d/$i"; sync -f "$f"`,
    `echo "took=$(stat -c %s "$f")"`,
    `echo "fs=$(${FS_STAT} ${dir})"`,
    `p=${dir}/.metal-lab-disk-probe`,
    `if printf x > "$p" 2>/dev/null; then echo probe=written; else echo probe=refused; fi`,
    `rm -f "$p"`,
  ].join('\n');
}

/** Removes the fill, if there is one. Prints took= (bytes, or "none") and fs=. */
export function freeScript(dir: string): string {
  return [
    `f=${fillPath(dir)}`,
    `if [ -e "$f" ]; then echo "took=$(stat -c %s "$f")"; rm -rf "$f" "$f.d"; sync -f ${dir}; else echo took=none; fi`,
    `echo "fs=$(${FS_STAT} ${dir})"`,
  ].join('\n');
}

export interface FillReport {
  /** How fallocate went: "ok" or its error. */
  fallocate?: string;
  /** Bytes the fill file holds; undefined when there was none. */
  took?: number;
  fs: FsStat;
  /** Whether root could still write a byte after the fill. */
  probe?: 'written' | 'refused';
}

export function parseFillReport(out: string): FillReport {
  const p = keyValues(out);
  const took = p.get('took');
  const probe = p.get('probe');
  return {
    fallocate: p.get('fallocate'),
    took: took === undefined || took === 'none' ? undefined : Number(took),
    fs: parseFsStat(required(p, 'fs', 'the disk script')),
    probe: probe === 'written' || probe === 'refused' ? probe : undefined,
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

const freeFor = (s: FsStat) => `${formatBytes(s.free * s.blockSize)} free for root, ${formatBytes(s.avail * s.blockSize)} for others`;

export const diskFull: FaultRunner<FaultOf<'disk-full'>> = async (ctx, fault, deadline) => {
  const node = faultTarget(ctx, fault.node);
  const started = Date.now();
  const before = parseFsStat(await onNode(ctx, node, asRoot(`${FS_STAT} ${fault.path}`)));
  // dd writes whatever fallocate did not take: without fallocate, all of it, which takes time.
  const r = parseFillReport(await onNode(ctx, node, asRoot(fillScript(fault.path, bulkFillBytes(before))), Math.max(10_000, deadline - labNow())));
  const left = r.fs.free * r.fs.blockSize;
  if (r.probe !== 'refused' || r.fs.avail !== 0) {
    throw new EvidenceError(`the filesystem holding ${fault.path} on ${node.name} still takes writes after the fill (${freeFor(r.fs)}; a root write was ${r.probe ?? 'not tried'})`, await nodeEvidence(ctx, node));
  }
  const how = r.fallocate === 'ok' ? 'fallocate, then dd to the last block' : `dd (fallocate: ${r.fallocate})`;
  return `filled the filesystem holding ${fault.path} with ${formatBytes(r.took ?? 0)} (${how}) in ${seconds(Date.now() - started)}: a root write is refused; ${formatBytes(left)} left that the filesystem keeps for itself`;
};

export const diskFree: FaultRunner<FaultOf<'disk-free'>> = async (ctx, fault) => {
  const node = faultTarget(ctx, fault.node);
  const r = parseFillReport(await onNode(ctx, node, asRoot(freeScript(fault.path))));
  if (r.fs.avail === 0) throw new EvidenceError(`the filesystem holding ${fault.path} on ${node.name} has no free block after removing ${r.took === undefined ? 'nothing' : 'the fill'}: ${freeFor(r.fs)}`, await nodeEvidence(ctx, node));
  if (r.took === undefined) return `no disk-full fill under ${fault.path}, nothing to give back: ${freeFor(r.fs)}`;
  return `gave back the ${formatBytes(r.took)} fill under ${fault.path}: ${freeFor(r.fs)}`;
};
