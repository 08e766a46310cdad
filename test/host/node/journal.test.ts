import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { journalFromDisk } from '../../../src/node/journal.js';
import { needs, packageFile, program } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

// A node's disk as the lab leaves it: a qcow2 laid out as install.sh does (an MBR, two /usr slots,
// then the root), whose root is an ext4 with a persistent journal and, on a Kubernetes node, the
// kubelet's container logs. The journal file is a real one, written by systemd-journal-remote from
// journal export records.
const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const test = needs(
  program('qemu-img', 'qemu-utils'),
  program('mkfs.ext4', 'e2fsprogs'),
  program('debugfs', 'e2fsprogs'),
  program('e2fsck', 'e2fsprogs'),
  program('sfdisk', 'fdisk'),
  program('journalctl', 'systemd'),
  packageFile(JOURNAL_REMOTE, 'systemd-journal-remote'),
);

const run = promisify(execFile);
const MACHINE_ID = '0123456789abcdef0123456789abcdef';
const APISERVER_LOG = 'var/log/pods/kube-system_kube-apiserver-checkpoint-node1_99d9cd4e/kube-apiserver/1.log';

/** Export-format records (one per message, a blank line after each) for systemd-journal-remote. */
function exportRecords(messages: { unit: string; text: string }[]): string {
  return messages
    .map(({ unit, text }, i) =>
      [
        `__REALTIME_TIMESTAMP=${1_764_342_000_000_000 + i * 1_000_000}`,
        `__MONOTONIC_TIMESTAMP=${1_000_000 + i * 1_000_000}`,
        `_BOOT_ID=${MACHINE_ID}`,
        `_MACHINE_ID=${MACHINE_ID}`,
        `SYSLOG_IDENTIFIER=${unit}`,
        `MESSAGE=${text}`,
        '',
        '',
      ].join('\n'),
    )
    .join('');
}

/** An ext4 of 4 KiB blocks holding `root`, as the node's root filesystem. */
async function rootImage(dir: string, root: string): Promise<string> {
  const fsImage = path.join(dir, 'root.ext4');
  await run('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, fsImage, '64M']);
  return fsImage;
}

/**
 * A qcow2 disk as install.sh lays it out, small: partitions 1 and 2 (the /usr slots, 1 MiB each
 * here) hold an ext4 without a journal, and partition 3 the root filesystem `fsImage`.
 */
async function nodeDisk(dir: string, fsImage: string): Promise<string> {
  const usr = path.join(dir, 'usr.ext4');
  await run('mkfs.ext4', ['-q', '-F', usr, '1M']);
  const raw = path.join(dir, 'disk.raw');
  const mib = 1024 * 1024;
  await fs.writeFile(raw, '');
  await fs.truncate(raw, 68 * mib);
  await new Promise<void>((resolve, reject) => {
    const sfdisk = execFile('sfdisk', ['-q', raw], (err) => (err ? reject(err) : resolve()));
    sfdisk.stdin!.end('start=1MiB,size=1MiB\nstart=2MiB,size=1MiB\nstart=3MiB\n');
  });
  const handle = await fs.open(raw, 'r+');
  for (const [image, at] of [[usr, 1], [usr, 2], [fsImage, 3]] as const) await handle.write(await fs.readFile(image), 0, undefined, at * mib);
  await handle.close();
  const disk = path.join(dir, 'node1.qcow2');
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, disk]);
  return disk;
}

/**
 * Writes the debugfs `commands` into `fsImage` through its jbd2 journal only, as a running kernel
 * leaves its newest changes before a checkpoint: the commands run on a copy, and every block they
 * changed goes into one committed journal transaction of the image, whose own blocks stay as they were.
 */
async function writeThroughJournal(fsImage: string, commands: string[]): Promise<void> {
  const changed = `${fsImage}.changed`;
  await fs.copyFile(fsImage, changed);
  await fs.writeFile(`${changed}.cmds`, commands.join('\n') + '\n');
  await run('debugfs', ['-w', '-f', `${changed}.cmds`, changed]);
  const [before, after] = [await fs.readFile(fsImage), await fs.readFile(changed)];
  const block = 4096;
  const blocks = Array.from({ length: before.length / block }, (_, i) => i).filter((i) => !before.subarray(i * block, (i + 1) * block).equals(after.subarray(i * block, (i + 1) * block)));
  await fs.writeFile(`${changed}.blocks`, Buffer.concat(blocks.map((i) => after.subarray(i * block, (i + 1) * block))));
  await fs.writeFile(`${changed}.cmds`, `journal_open\njournal_write -b ${blocks.join(',')} ${changed}.blocks\njournal_close\n`);
  await run('debugfs', ['-w', '-f', `${changed}.cmds`, fsImage]);
}

async function rootWithJournal(dir: string): Promise<string> {
  const root = path.join(dir, 'root');
  const journalDir = path.join(root, 'var/log/journal', MACHINE_ID);
  await fs.mkdir(journalDir, { recursive: true });
  const records = exportRecords([
    { unit: 'kubelet', text: 'Failed creating a mirror pod for "kube-apiserver-checkpoint-node1"' },
    { unit: 'kube-apiserver-checkpoint', text: 'no kube-apiserver answers on node1: checkpoint activated' },
  ]);
  const remote = execFile(JOURNAL_REMOTE, ['-o', path.join(journalDir, 'system.journal'), '-']);
  remote.stdin!.end(records);
  await new Promise((resolve, reject) => remote.on('exit', resolve).on('error', reject));
  return root;
}

test('a node journal read from its disk: every journal entry, then the last 200 lines of each container log', async (t) => {
  const dir = await tempDir(t);
  const root = await rootWithJournal(dir);
  const apiserverLog = path.join(root, APISERVER_LOG);
  await fs.mkdir(path.dirname(apiserverLog), { recursive: true });
  const lines = Array.from({ length: 250 }, (_, i) => `2026-11-28T15:37:3${i % 10}Z stderr F line ${i + 1}`);
  await fs.writeFile(apiserverLog, [...lines, '2026-11-28T15:37:33Z stderr F Error: context deadline exceeded'].join('\n') + '\n');

  const text = await journalFromDisk(await nodeDisk(dir, await rootImage(dir, root)), 60_000);
  t.regex(text, /kube-apiserver-checkpoint: no kube-apiserver answers on node1: checkpoint activated/);
  t.regex(text, /kubelet: Failed creating a mirror pod/);
  const podSection = text.slice(text.indexOf('== pod log '));
  t.regex(podSection, /^== pod log \S+\/kube-system_kube-apiserver-checkpoint-node1_99d9cd4e\/kube-apiserver\/1\.log \(last 200 lines\)\n/);
  t.regex(podSection, /Error: context deadline exceeded$/);
  t.true(podSection.includes('F line 250\n') && podSection.includes('F line 52\n'));
  t.false(podSection.includes('F line 51\n'), 'only the last 200 lines of a log');
});

test('a crashed container\'s fatal above its last 200 lines is kept: klog errors before the tail', async (t) => {
  const dir = await tempDir(t);
  const root = await rootWithJournal(dir);
  const apiserverLog = path.join(root, APISERVER_LOG);
  await fs.mkdir(path.dirname(apiserverLog), { recursive: true });
  // As run 9's node2: the fatal, then a goroutine dump longer than the tail.
  const fatal = '2026-11-30T10:48:11.9Z stderr F F1130 10:48:11.900567       1 storage.go:42] etcdserver: request timed out';
  const dump = Array.from({ length: 300 }, (_, i) => `2026-11-30T10:48:12Z stderr F goroutine ${i + 1} [select]:`);
  await fs.writeFile(apiserverLog, ['2026-11-30T10:40:00Z stderr F I1130 10:40:00.000000       1 server.go:1] starting', fatal, ...dump].join('\n') + '\n');

  const text = await journalFromDisk(await nodeDisk(dir, await rootImage(dir, root)), 60_000);
  const podSection = text.slice(text.indexOf('== pod log '));
  t.regex(podSection, /^== pod log \S+\/kube-apiserver\/1\.log \(its last 20 klog errors above the last 200 lines\)\n.*F1130 10:48:11\.900567 .*request timed out\n== pod log \S+ \(last 200 lines\)\n/);
  t.false(podSection.includes('I1130 10:40:00'), 'only error and fatal lines from above the tail');
  t.true(podSection.includes('goroutine 300 [select]:'));
});

test('a node without Kubernetes has no pod logs: its journal alone, no pod section', async (t) => {
  const dir = await tempDir(t);
  const text = await journalFromDisk(await nodeDisk(dir, await rootImage(dir, await rootWithJournal(dir))), 60_000);
  t.regex(text, /checkpoint activated/);
  t.false(text.includes('== pod log'));
});

test('a running node\'s newest journal, still only in its ext4\'s own journal, is read as its kernel sees it', async (t) => {
  const dir = await tempDir(t);
  const base = path.join(dir, 'base');
  await fs.mkdir(path.join(base, 'etc'), { recursive: true });
  await fs.writeFile(path.join(base, 'etc/hostname'), 'node1\n');
  const fsImage = await rootImage(dir, base);
  // The journal directory and its file, as the node wrote them since the last checkpoint.
  const journalFile = path.join(await rootWithJournal(dir), 'var/log/journal', MACHINE_ID, 'system.journal');
  const journalDir = `/var/log/journal/${MACHINE_ID}`;
  await writeThroughJournal(fsImage, [...['/var', '/var/log', '/var/log/journal', journalDir].map((d) => `mkdir ${d}`), `write ${journalFile} ${journalDir}/system.journal`]);
  const { stdout: onDisk } = await run('debugfs', ['-R', 'ls /var', fsImage]);
  t.false(onDisk.includes('log'), 'the setup left /var/log in the jbd2 journal only');

  const text = await journalFromDisk(await nodeDisk(dir, fsImage), 60_000);
  t.regex(text, /kube-apiserver-checkpoint: no kube-apiserver answers on node1: checkpoint activated/);
});
