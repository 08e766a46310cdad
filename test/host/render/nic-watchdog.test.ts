import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { NIC_WATCHDOG_SCRIPT } from '../../../src/render/nic-watchdog.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

/**
 * The NIC watchdog's program under sh, on a /sys/class/net of this test's own: the NIC's queue
 * counters are files the test bumps as the kernel's watchdog would, and `ip` records its calls.
 */

interface Rig {
  dir: string;
  timeouts: (n: number) => Promise<void>;
  calls: () => Promise<string[]>;
}

async function rig(t: ExecutionContext): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nic-watchdog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const net = path.join(dir, 'net');
  // A NIC on a bus with two transmit queues, and a bridge, which has no device.
  for (const q of ['tx-0', 'tx-1']) await mkdir(path.join(net, 'ens2/queues', q), { recursive: true });
  await mkdir(path.join(net, 'ens2/device'));
  await mkdir(path.join(net, 'cni0/queues/tx-0'), { recursive: true });
  const counter = (dev: string, q: string) => path.join(net, dev, 'queues', q, 'tx_timeout');
  await Promise.all([writeFile(counter('ens2', 'tx-0'), '0\n'), writeFile(counter('ens2', 'tx-1'), '0\n'), writeFile(counter('cni0', 'tx-0'), '0\n')]);
  await mkdir(path.join(dir, 'bin'));
  await mkdir(path.join(dir, 'state'));
  await writeFile(path.join(dir, 'bin/ip'), `#!/bin/sh\necho "$*" >> ${dir}/ip.log\n`);
  await chmod(path.join(dir, 'bin/ip'), 0o755);

  const child = spawn('sh', ['-c', NIC_WATCHDOG_SCRIPT], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: `${dir}/bin:/usr/bin:/bin`, SYSFS_NET: net, STATE_DIR: path.join(dir, 'state'), INTERVAL: '0.3' },
  });
  t.teardown(() => void process.kill(-child.pid!, 'SIGKILL'));
  let total = 0;
  return {
    dir,
    // The kernel counts per queue: the bridge's counter moves too, and must not matter.
    timeouts: async (n) => {
      total += n;
      await writeFile(counter('ens2', 'tx-1'), `${total}\n`);
      await writeFile(counter('cni0', 'tx-0'), `${total * 3}\n`);
    },
    calls: async () => (await readFile(path.join(dir, 'ip.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

const soon = () => ({ deadline: Date.now() + 10_000, intervalMs: 100 });
const reopened = ['link set dev ens2 down', 'link set dev ens2 up'];

test('a NIC whose transmit queue keeps timing out is taken down and up, once per stuck interval', async (t) => {
  const r = await rig(t);
  // The state file says the watchdog has read the counters once.
  await waitFor('the first reading', async () => (await readFile(path.join(r.dir, 'state/ens2'), 'utf8').catch(() => '')) === '0\n' || pending('none'), soon());
  await r.timeouts(3);
  await waitFor('the link reopened', async () => (await r.calls()).length >= 2 || pending(String(await r.calls())), soon());
  t.deepEqual(await r.calls(), reopened);
  t.falsy((await r.calls()).find((c) => c.includes('cni0')), 'a bridge is never touched');
});

test('one timeout in an interval is a queue slow once, not stuck: nothing is done', async (t) => {
  const r = await rig(t);
  await waitFor('the first reading', async () => (await readFile(path.join(r.dir, 'state/ens2'), 'utf8').catch(() => '')) === '0\n' || pending('none'), soon());
  await r.timeouts(1);
  // Three intervals later the single timeout has been read, and the link left alone.
  await waitFor('the timeout read', async () => (await readFile(path.join(r.dir, 'state/ens2'), 'utf8')) === '1\n' || pending('not yet'), soon());
  await new Promise((resolve) => setTimeout(resolve, 900));
  t.deepEqual(await r.calls(), []);
  await r.timeouts(2);
  await waitFor('the link reopened', async () => (await r.calls()).length >= 2 || pending(String(await r.calls())), soon());
  t.deepEqual(await r.calls(), reopened);
});
