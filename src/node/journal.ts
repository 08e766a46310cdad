import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CommandError, runCommand } from '../toolkit/command-error.js';
import { connectNode, type SshTarget } from './ssh.js';

/**
 * A node's systemd journal, for the artifacts of a failed run: every boot the disk kept
 * (labos keeps a persistent journal), oldest first, with monotonic and wall-clock times, then
 * the tail of every container log the kubelet keeps (a pod's own words, such as why an
 * apiserver exited, are not in the journal).
 * Read over SSH while the node answers; from its disk image when it does not (hung, its
 * network gone, powered off), which is when the journal matters most.
 */

/** The units whose state heads the journal file: the ones a node step waits on. */
export const KEY_UNITS = ['ignition-fetch.service', 'ignition-files.service', 'systemd-networkd.service', 'ssh.service', 'etcd.service', 'containerd.service', 'kubelet.service', 'kube-apiserver-checkpoint.service'];

const JOURNAL_ARGS = ['--no-pager', '--no-hostname', '-o', 'short-precise'];
/** Where the kubelet keeps container logs: <namespace>_<pod>_<uid>/<container>/<restart>.log. */
const POD_LOGS = '/var/log/pods';
const POD_LOG_LINES = 200;

/** klog's error and fatal lines (E1130, F1130): a fatal's reason sits above the goroutine dump that fills the tail. */
const KLOG_ERRORS = ' [EF][0-9]{4} ';
const EARLIER_ERRORS = 20;

/**
 * Each container log under `dir` (a node's POD_LOGS, or a copy of it), its last lines headed by its
 * path; before them, when the log is longer, the last klog errors above those lines.
 */
function podLogTails(dir: string): string {
  const earlier =
    `n=$(wc -l < "$f"); [ "$n" -gt ${POD_LOG_LINES} ] && e=$(head -n $((n - ${POD_LOG_LINES})) "$f" | grep -E "${KLOG_ERRORS}" | tail -n ${EARLIER_ERRORS}) && ` +
    `[ -n "$e" ] && echo "== pod log $f (its last ${EARLIER_ERRORS} klog errors above the last ${POD_LOG_LINES} lines)" && echo "$e"`;
  return `for f in ${dir}/*/*/*.log; do [ -f "$f" ] || continue; ${earlier}; echo "== pod log $f (last ${POD_LOG_LINES} lines)" && tail -n ${POD_LOG_LINES} "$f"; done; true`;
}

/** The unit summary and the whole journal, as one command for the node's shell. */
function journalScript(): string {
  return [
    'echo "== failed units"; systemctl --failed --no-legend --plain',
    `echo "== key units"; systemctl status --no-pager --lines=0 ${KEY_UNITS.join(' ')} 2>&1`,
    'echo "== boots"; journalctl --list-boots --no-pager',
    `echo "== journal"; journalctl ${JOURNAL_ARGS.join(' ')}`,
    podLogTails(POD_LOGS),
  ].join('; ');
}

/** The journal over SSH, as root (`core` may sudo without a password). */
export async function journalOverSsh(target: SshTarget, timeoutMs: number): Promise<string> {
  const session = await connectNode(target);
  try {
    const r = await session.run(`sudo -n sh -c '${journalScript()}'`, { timeoutMs });
    return r.stdout + (r.stderr ? `\n== stderr\n${r.stderr}` : '');
  } finally {
    await session.close();
  }
}

/** install.sh's layout: an MBR whose partitions 1 and 2 are the /usr slots, 3 the root filesystem. */
const ROOT_PARTITION = 3;
const SECTOR = 512;

/** qemu's block options reading a qcow2 as raw bytes, without taking a running VM's image lock. */
const rawOf = (diskImage: string, from: { offset: number; size: number }) =>
  `driver=raw,offset=${from.offset},size=${from.size},file.driver=qcow2,file.file.filename=${diskImage},file.file.locking=off`;

/** Where MBR partition `n` of a qcow2 disk lies, in bytes, from the table in its first sector. */
async function mbrPartition(diskImage: string, n: number, dir: string, timeoutMs: number): Promise<{ offset: number; size: number }> {
  const sectorFile = path.join(dir, 'mbr.raw');
  await runCommand(['qemu-img', 'convert', '--image-opts', rawOf(diskImage, { offset: 0, size: SECTOR }), '-O', 'raw', sectorFile], { timeoutMs });
  const mbr = await fs.readFile(sectorFile);
  if (mbr.length < SECTOR || mbr.readUInt16LE(510) !== 0xaa55) throw new Error(`${diskImage} has no partition table: was labos installed on it?`);
  const entry = 446 + 16 * (n - 1);
  const [start, sectors] = [mbr.readUInt32LE(entry + 8), mbr.readUInt32LE(entry + 12)];
  if (sectors === 0) throw new Error(`${diskImage} has no partition ${n}: was labos installed on it?`);
  return { offset: start * SECTOR, size: sectors * SECTOR };
}

/**
 * The journal read from a node's qcow2 disk, running or not: qemu-img copies the root
 * partition out without taking the image's lock, e2fsck replays the ext4's own journal into that
 * copy, debugfs copies /var/log/journal out of it without mounting it, and the host's journalctl
 * reads the files. A running node's last seconds may be missing: labos syncs its journal to disk
 * every few seconds.
 */
export async function journalFromDisk(diskImage: string, timeoutMs: number): Promise<string> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-journal-'));
  try {
    const part = path.join(tmp, 'root.raw');
    const root = await mbrPartition(diskImage, ROOT_PARTITION, tmp, timeoutMs);
    await runCommand(['qemu-img', 'convert', '--image-opts', rawOf(diskImage, root), '-O', 'raw', part], { timeoutMs });
    // A running or crashed node's ext4 holds its newest metadata (the journal files' latest extents,
    // new directories) in its own jbd2 journal until the kernel checkpoints it, and debugfs reads
    // around that journal: replayed into the copy first, the files are as the node's kernel sees them.
    // A journal e2fsck cannot replay still leaves what is on disk to read.
    await runCommand(['e2fsck', '-E', 'journal_only', '-y', part], { timeoutMs, allowExit: 'any' });
    await runCommand(['debugfs', '-R', `rdump /var/log/journal ${tmp}`, part], { timeoutMs });
    // A node without Kubernetes has no pod logs: debugfs says so and exits 0 all the same.
    await runCommand(['debugfs', '-R', `rdump ${POD_LOGS} ${tmp}`, part], { timeoutMs, allowExit: 'any' });
    await fs.rm(part);
    // journalctl may exit non-zero over a torn journal file and still print the rest: what it printed counts.
    const r = await runCommand(['journalctl', '-D', path.join(tmp, 'journal'), ...JOURNAL_ARGS], { timeoutMs, allowExit: 'any' });
    if (!r.stdout) throw new CommandError(r, { what: `journalctl read nothing from ${diskImage}` });
    const boots = await runCommand(['journalctl', '-D', path.join(tmp, 'journal'), '--list-boots', '--no-pager'], { timeoutMs, allowExit: 'any' });
    const pods = await runCommand(['sh', '-c', podLogTails(path.join(tmp, 'pods'))], { timeoutMs });
    return `== boots\n${boots.stdout}\n== journal\n${r.stdout}\n${pods.stdout}`;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Over SSH if the node answers, else from its disk; says which, and why SSH was not used. */
export async function nodeJournal(target: SshTarget, diskImage: string, timeoutMs: number): Promise<string> {
  try {
    return `# ${target.hostAlias}: journal read over SSH\n${await journalOverSsh(target, timeoutMs)}`;
  } catch (err) {
    const why = (err as Error).message;
    const fromDisk = await journalFromDisk(diskImage, timeoutMs).catch((diskErr: Error) => {
      throw new Error(`over SSH: ${why}; from its disk: ${diskErr.message}`);
    });
    return `# ${target.hostAlias}: journal read from its disk image ${diskImage} (over SSH: ${why})\n${fromDisk}`;
  }
}
