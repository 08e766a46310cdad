import test from 'ava';
import {
  bulkFillBytes,
  clockOffsetCheck,
  clockReadCommand,
  ext4KeptBack,
  fillScript,
  formatBytes,
  keyValues,
  killCommand,
  parseClockRead,
  parseFillReport,
  parseFsStat,
  parseUnitState,
  unkillable,
  UNITS,
} from '../../../../src/scenario/faults/node.js';
import { KUBE_ASSETS, nodeIgnition } from '../../../support/node-ignition.js';

/** `systemctl show -p ...` of labos's etcd as it runs: systemd prints the Service properties before the Unit ones, whatever order -p names them in. */
const ETCD_RUNNING = 'Restart=always\nMainPID=812\nNRestarts=0\nLoadState=loaded\nActiveState=active\nSubState=running\n';

test('systemctl show of a running unit: its pid, Restart= and restart count', (t) => {
  t.deepEqual(parseUnitState(ETCD_RUNNING), { load: 'loaded', active: 'active', sub: 'running', mainPid: 812, restart: 'always', restarts: 0 });
  t.is(unkillable('etcd.service', parseUnitState(ETCD_RUNNING)), undefined);
});

test("a unit systemd is about to start again (RestartSec) has no pid yet", (t) => {
  const s = parseUnitState('Restart=always\nMainPID=0\nNRestarts=1\nLoadState=loaded\nActiveState=activating\nSubState=auto-restart\n');
  t.is(s.mainPid, 0);
  t.is(s.restarts, 1);
  t.is(s.sub, 'auto-restart');
});

test('what kill refuses: a masked unit (etcd on a worker), a unit no Restart= brings back, one that is not running', (t) => {
  const masked = parseUnitState('Restart=no\nMainPID=0\nNRestarts=0\nLoadState=masked\nActiveState=inactive\nSubState=dead\n');
  t.is(unkillable('etcd.service', masked), 'etcd.service is masked there');
  const noRestart = parseUnitState(ETCD_RUNNING.replace('Restart=always', 'Restart=no'));
  t.is(unkillable('etcd.service', noRestart), 'etcd.service has Restart=no: systemd would leave it dead after a SIGKILL');
  t.regex(unkillable('x.service', parseUnitState(ETCD_RUNNING.replace('Restart=always', 'Restart=on-success')))!, /Restart=on-success/);
  const idle = parseUnitState('Restart=always\nMainPID=0\nNRestarts=0\nLoadState=loaded\nActiveState=inactive\nSubState=dead\n');
  t.is(unkillable('kubelet.service', idle), 'kubelet.service is not running there: inactive (dead)');
});

test("Debian's own etcd.service (Restart=on-abnormal) would also come back from a SIGKILL", (t) => {
  t.is(unkillable('etcd.service', parseUnitState(ETCD_RUNNING.replace('Restart=always', 'Restart=on-abnormal'))), undefined);
});

test('systemctl show output lacking a property asked for is an error, not a zero', (t) => {
  t.throws(() => parseUnitState('MainPID=812\nActiveState=active\n'), { message: /no LoadState/ });
});

test('the units kill names are the ones Ignition sets up on labos, each with a Restart= that survives SIGKILL', async (t) => {
  const { render } = await nodeIgnition('etcd', KUBE_ASSETS);
  const units = render('node1').systemd.units;
  const unit = (name: string) => units.find((u) => u.name === name);
  t.regex(unit(UNITS.etcd)!.dropins!.map((d) => d.contents).join(''), /^Restart=always$/m);
  t.regex(unit(UNITS.kubelet)!.contents!, /^Restart=always$/m);
  // Debian's containerd.service, enabled as shipped: Restart=always, KillMode=process.
  t.deepEqual(unit(UNITS.containerd), { name: 'containerd.service', enabled: true });
  t.true(killCommand(UNITS.containerd).includes('--kill-whom=main'));
});

test("the node's clock and its time sync units: none active on labos", (t) => {
  const read = parseClockRead('1764441000.123456789\ninactive\ninactive\ninactive\ninactive\ninactive\n');
  t.is(read.node, 1764441000.123456789);
  t.deepEqual(read.syncing, []);
  t.deepEqual(parseClockRead('1764441000.1\nactive\ninactive\ninactive\ninactive\ninactive\n').syncing, ['systemd-timesyncd.service']);
});

test('a clock read-back missing unit states or seconds is an error', (t) => {
  t.throws(() => parseClockRead('1764441000.1\n'), { message: /0 states for 5 units/ });
  t.throws(() => parseClockRead('sudo: a password is required\n'), { message: /not seconds/ });
});

test('the clock read command is one line of states per unit after the date', (t) => {
  t.is(clockReadCommand.split(' ').filter((w) => w.endsWith('.service')).length, 5);
});

const SET = { nodeBefore: 999.8, sent: 1000, answered: 1000.5 };

test('a clock set 5m ahead reads back as 5m ahead, allowing for the transit of both commands', (t) => {
  // Set at some point of [1000, 1000.5] to 1300, so up to 0.5 s behind; read during [1001, 1001.2].
  const check = clockOffsetCheck(SET, { node: 1300.9, sent: 1001, answered: 1001.2 }, 300);
  t.true(check.ok);
  t.is(Math.round(check.offsetS * 10) / 10, 299.8);
});

test('a clock that kept the host time, or was pulled back by more than 2 s, fails the check', (t) => {
  t.false(clockOffsetCheck(SET, { node: 1001.1, sent: 1001, answered: 1001.2 }, 300).ok);
  t.false(clockOffsetCheck(SET, { node: 1297.9, sent: 1001, answered: 1001.2 }, 300).ok);
  t.true(clockOffsetCheck(SET, { node: 1299.1, sent: 1001, answered: 1001.2 }, 300).ok);
  t.false(clockOffsetCheck(SET, { node: 1303.5, sent: 1001, answered: 1001.2 }, 300).ok);
});

test("a set that took 4 s to arrive (TCG) may leave the node up to 4 s behind and still pass; offset 0 means the host's time", (t) => {
  const slow = { nodeBefore: 1000, sent: 1000, answered: 1004 };
  t.true(clockOffsetCheck(slow, { node: 1001.5, sent: 1005, answered: 1005.5 }, 0).ok);
  t.false(clockOffsetCheck(slow, { node: 998.5, sent: 1005, answered: 1005.5 }, 0).ok);
  t.true(clockOffsetCheck(slow, { node: 1005.2 - 90, sent: 1005, answered: 1005.5 }, -90).ok);
});

// A 1.5 GB ext4 (mkfs.ext4 defaults) mounted on this host: `stat -f -c "%f %a %b %S"`, before a fill.
const EXT4 = '368641 345345 368650 4096';

test('stat -f in four block counts', (t) => {
  t.deepEqual(parseFsStat(EXT4), { free: 368641, avail: 345345, blocks: 368650, blockSize: 4096 });
  t.throws(() => parseFsStat('368641 345345'), { message: /not four block counts/ });
  t.throws(() => parseFsStat('stat: cannot read file system information'), { message: /not four block counts/ });
});

test("fallocate's share stays under what ext4 lets root allocate, and close to it", (t) => {
  const s = parseFsStat(EXT4);
  t.is(ext4KeptBack(s), 4096);
  // On that filesystem fallocate of all 368641 free blocks failed; 364544 blocks was the most it took.
  const blocks = bulkFillBytes(s) / s.blockSize;
  t.true(blocks <= 364544);
  t.true(blocks >= 364544 - 300);
  // A small filesystem keeps 2% back, not 4096 blocks.
  t.is(ext4KeptBack({ free: 90000, avail: 85000, blocks: 100000, blockSize: 4096 }), 2000);
  t.is(bulkFillBytes({ free: 10, avail: 0, blocks: 100000, blockSize: 4096 }), 0);
});

test('the fill report as the script printed it on that filesystem: fallocate took the bulk, a root write was refused', (t) => {
  const r = parseFillReport('fallocate=ok\ntook=1493172224\nfs=4096 0 368650 4096\nprobe=refused\n');
  t.deepEqual(r, { fallocate: 'ok', took: 1493172224, fs: { free: 4096, avail: 0, blocks: 368650, blockSize: 4096 }, probe: 'refused' });
  t.is(formatBytes(r.took!), '1.4 GiB');
  t.is(formatBytes(r.fs.free * r.fs.blockSize), '16.0 MiB');
  const failed = parseFillReport('fallocate=fallocate: fallocate failed: Operation not supported \ntook=1493172224\nfs=4096 0 368650 4096\nprobe=refused\n');
  t.is(failed.fallocate, 'fallocate: fallocate failed: Operation not supported');
});

test('the fill file is named in the dir given, with or without a trailing slash', (t) => {
  t.regex(fillScript('/var/lib/etcd/', 1), /^f=\/var\/lib\/etcd\/\.metal-lab-disk-full$/m);
});

test('sizes in binary units', (t) => {
  t.is(formatBytes(512), '512 B');
  t.is(formatBytes(1536), '1.5 KiB');
  t.is(formatBytes(5 * 1024 ** 3), '5.0 GiB');
});

test('KEY=value lines: comments and other lines skipped, double quotes dropped', (t) => {
  const p = keyValues('# comment\nETCD_NAME="node1"\n  not a pair\nDAEMON_ARGS=\nX=a=b\n');
  t.deepEqual([...p], [['ETCD_NAME', 'node1'], ['DAEMON_ARGS', ''], ['X', 'a=b']]);
});
