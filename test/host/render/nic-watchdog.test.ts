import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { NIC_WATCHDOG_SCRIPT } from '../../../src/render/nic-watchdog.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

/**
 * The NIC watchdog's program under sh, on a sysfs of this test's own: the NIC's queue counters
 * are files the test bumps as the kernel's watchdog would, and its device and driver are links as
 * in /sys, the driver's unbind and bind plain files that record what was written to them.
 */

interface Rig {
  dir: string;
  timeouts: (n: number) => Promise<void>;
  /** What went to the driver's unbind and bind files. */
  resets: () => Promise<string[]>;
}

async function rig(t: ExecutionContext): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nic-watchdog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const net = path.join(dir, 'class/net');
  const driver = path.join(dir, 'bus/virtio/drivers/virtio_net');
  const device = path.join(dir, 'devices/pci0000:00/0000:00:02.0/virtio0');
  await Promise.all([mkdir(driver, { recursive: true }), mkdir(device, { recursive: true })]);
  await symlink(driver, path.join(device, 'driver'));
  // A NIC on a bus with two transmit queues, and a bridge, which has no device.
  for (const q of ['tx-0', 'tx-1']) await mkdir(path.join(net, 'ens2/queues', q), { recursive: true });
  await symlink(device, path.join(net, 'ens2/device'));
  await mkdir(path.join(net, 'cni0/queues/tx-0'), { recursive: true });
  const counter = (dev: string, q: string) => path.join(net, dev, 'queues', q, 'tx_timeout');
  await Promise.all([writeFile(counter('ens2', 'tx-0'), '0\n'), writeFile(counter('ens2', 'tx-1'), '0\n'), writeFile(counter('cni0', 'tx-0'), '0\n')]);
  await mkdir(path.join(dir, 'state'));

  const child = spawn('sh', ['-c', NIC_WATCHDOG_SCRIPT], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: '/usr/bin:/bin', SYSFS_NET: net, STATE_DIR: path.join(dir, 'state'), INTERVAL: '0.3' },
  });
  t.teardown(() => void process.kill(-child.pid!, 'SIGKILL'));
  let total = 0;
  const written = (f: string) => readFile(path.join(driver, f), 'utf8').catch(() => '');
  // A sysfs read is never torn; a plain rewrite here could be read empty between its truncate
  // and its write (and sh's arithmetic on "" ends the script), so counters change by a rename.
  const setCounter = async (file: string, value: number) => {
    await writeFile(`${file}.new`, `${value}\n`);
    await rename(`${file}.new`, file);
  };
  return {
    dir,
    // The kernel counts per queue: the bridge's counter moves too, and must not matter.
    timeouts: async (n) => {
      total += n;
      await setCounter(counter('ens2', 'tx-1'), total);
      await setCounter(counter('cni0', 'tx-0'), total * 3);
    },
    resets: async () => [`unbind ${(await written('unbind')).trim()}`, `bind ${(await written('bind')).trim()}`].filter((l) => !/ $/.test(l)),
  };
}

const soon = () => ({ deadline: Date.now() + 10_000, intervalMs: 100 });
const reset = ['unbind virtio0', 'bind virtio0'];

async function firstReading(r: Rig): Promise<void> {
  // The state file says the watchdog has read the counters once.
  await waitFor('the first reading', async () => (await readFile(path.join(r.dir, 'state/ens2'), 'utf8').catch(() => '')) === '0\n' || pending('none'), soon());
}

test('a NIC whose transmit queue keeps timing out is reset: its virtio device unbound from its driver and bound again', async (t) => {
  const r = await rig(t);
  await firstReading(r);
  await r.timeouts(3);
  await waitFor('the device reset', async () => (await r.resets()).length === 2 || pending(String(await r.resets())), soon());
  t.deepEqual(await r.resets(), reset);
});

test('one timeout in an interval is a queue slow once, not stuck: nothing is done until it keeps timing out', async (t) => {
  const r = await rig(t);
  await firstReading(r);
  await r.timeouts(1);
  await waitFor('the timeout read', async () => (await readFile(path.join(r.dir, 'state/ens2'), 'utf8')) === '1\n' || pending('not yet'), soon());
  // Three intervals later the device is still left alone.
  await new Promise((resolve) => setTimeout(resolve, 900));
  t.deepEqual(await r.resets(), []);
  await r.timeouts(2);
  await waitFor('the device reset', async () => (await r.resets()).length === 2 || pending(String(await r.resets())), soon());
  t.deepEqual(await r.resets(), reset);
});
