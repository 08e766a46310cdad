import { randomUUID } from 'node:crypto';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../../../src/errors.js';
import { buildLiveImage, type LiveImage } from '../../../src/images/labos-live.js';
import { bootDirect, type DirectBootOptions } from '../../../src/qemu/direct-boot.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { needs, program, qemu } from '../../support/needs.js';

// Real boots of the labos live image under TCG. Serial, because each guest uses both host cores.
// The image is built by npm test before this tier, or here on first use (apt fetches its debs).
const test = needs(qemu, program('apt-get', 'apt'));

const MAC = '52:54:00:a1:9c:ae';
const IGNITION = '{"ignition":{"version":"3.3.0"}}';
const METADATA = 'NODE=node1\nROLE=controller\n';
const FINISHED = /metal-lab: (agent done|agent stopped)/;

let image: LiveImage;
let tmp: string;
test.before(async () => {
  image = await buildLiveImage();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'direct-boot-test-'));
});
test.after.always(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A throwaway boot server on loopback that records every request it answers. */
async function withServer(
  run: (port: number, seen: URL[]) => Promise<void>,
  answer: (url: URL) => [number, string] = (url) =>
    url.pathname === '/ignition' ? [200, IGNITION] : url.pathname === '/metadata' ? [200, METADATA] : [200, 'ok'],
) {
  const seen: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://boot');
    seen.push(url);
    const [status, body] = answer(url);
    res.writeHead(status).end(body);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  try {
    await run((server.address() as AddressInfo).port, seen);
  } finally {
    server.close();
  }
}

function boot(o: Partial<DirectBootOptions> & { append: string }) {
  return bootDirect({
    kernel: image.kernel,
    initrd: image.initrd,
    accel: 'tcg',
    consoleLog: path.join(tmp, `${randomUUID()}.log`),
    net: { mac: MAC },
    untilMarker: FINISHED,
    timeoutMs: 180_000,
    ...o,
  });
}

const markers = (log: string) => log.split('\n').filter((l) => l.startsWith('metal-lab: '));

/** qemu processes whose command line carries `token` (each test puts a unique one in -append). */
async function qemuWith(token: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('qemu-system') && cmdline.includes(token)) found.push(pid);
  }
  return found;
}

test.serial('the agent reaches userspace, gets DHCP, fetches its config and calls back with its MAC', async (t) => {
  await withServer(async (port, seen) => {
    const consoleLog = path.join(tmp, 'node1.log');
    const r = await boot({
      consoleLog,
      append: `console=ttyS0 panic=-1 metal.mac=52-54-00-A1-9C-AE metal.server=http://10.0.2.2:${port}`,
    });
    t.log(`boot to agent done: ${r.ms} ms`);
    t.false(r.restarted, 'the kernel did not stall');
    t.deepEqual(markers(r.log), [
      `metal-lab: reached userspace mac=${MAC}`,
      'metal-lab: dhcp ip=10.0.2.15 iface=eth0',
      `metal-lab: fetched ignition bytes=${IGNITION.length} metadata bytes=${METADATA.length}`,
      'metal-lab: agent done',
    ]);
    t.true(r.ms > 0 && r.ms < 180_000);
    t.true((await readFile(consoleLog, 'utf8')).includes('metal-lab: agent done'), 'the console log file has it too');

    t.deepEqual(
      seen.map((u) => u.pathname),
      ['/ignition', '/metadata', '/lab/event'],
    );
    for (const u of seen) t.is(u.searchParams.get('mac'), MAC);
    const event = seen[2]!;
    t.is(event.searchParams.get('stage'), 'userspace');
    t.is(event.searchParams.get('ip'), '10.0.2.15');
  });
});

test.serial('without metal.mac the agent uses the first NIC and reports its MAC', async (t) => {
  await withServer(async (port, seen) => {
    const mac = '52:54:00:b2:2f:86';
    const r = await boot({ net: { mac }, append: `console=ttyS0 panic=-1 metal.server=http://10.0.2.2:${port}` });
    t.is(markers(r.log)[0], `metal-lab: reached userspace mac=${mac}`);
    t.is(markers(r.log).at(-1), 'metal-lab: agent done');
    t.is(seen.find((u) => u.pathname === '/lab/event')?.searchParams.get('mac'), mac);
  });
});

test.serial('a server without a profile for the machine gives a clear failure line, not a callback', async (t) => {
  await withServer(
    async (port, seen) => {
      const r = await boot({ append: `console=ttyS0 panic=-1 metal.mac=52-54-00-a1-9c-ae metal.server=http://10.0.2.2:${port}` });
      t.deepEqual(markers(r.log).slice(-2), [
        `metal-lab: fetch failed server=http://10.0.2.2:${port} mac=${MAC}`,
        'metal-lab: agent stopped: fetch failed',
      ]);
      t.true(seen.length >= 2, 'it retried');
      t.false(seen.some((u) => u.pathname === '/lab/event'));
    },
    () => [404, 'not found'],
  );
});

test.serial('a guest whose kernel stalls before userspace is restarted once, and the console log says so', async (t) => {
  await withServer(async (port) => {
    const token = `metal.test=${randomUUID()}`;
    const consoleLog = path.join(tmp, 'stalled.log');
    const booting = boot({ consoleLog, kernelStallMs: 3000, append: `console=ttyS0 panic=-1 ${token} metal.server=http://10.0.2.2:${port}` });
    // Freeze the first qemu at once, as the emulator froze in CI: its kernel prints nothing more.
    const first = await waitFor('qemu to start', async () => (await qemuWith(token))[0] ?? pending('no qemu yet'), {
      deadline: Date.now() + 30_000,
      intervalMs: 20,
    });
    process.kill(Number(first), 'SIGSTOP');
    const r = await booting;
    t.true(r.restarted);
    t.is(markers(r.log).at(-1), 'metal-lab: agent done');
    t.regex(await readFile(consoleLog, 'utf8'), /metal-lab host: the guest kernel printed nothing for 3s after ".*"; restarting qemu once/);
    t.deepEqual(await qemuWith(token), [], 'both qemus are gone');
  });
});

test.serial('a kernel that stalls twice fails with one line naming the stall', async (t) => {
  const token = `metal.test=${randomUUID()}`;
  const booting = boot({ kernelStallMs: 2000, append: `console=ttyS0 ${token}` });
  // Freeze every qemu this boot starts, the first and the restarted one.
  const frozen = new Set<string>();
  const freezer = setInterval(() => {
    void qemuWith(token).then((pids) => {
      for (const pid of pids.filter((p) => !frozen.has(p))) {
        frozen.add(pid);
        process.kill(Number(pid), 'SIGSTOP');
      }
    });
  }, 20);
  const err = await t.throwsAsync(booting).finally(() => clearInterval(freezer));
  t.true(err instanceof LabError);
  t.regex(err.message, /^the guest kernel stalled twice before userspace/);
  t.is(frozen.size, 2, 'a second qemu was started');
  t.deepEqual(await qemuWith(token), []);
});

test.serial('a marker that never shows times out with a LabError and leaves no qemu behind', async (t) => {
  const token = `metal.test=${randomUUID()}`;
  const consoleLog = path.join(tmp, 'timeout.log');
  const err = await t.throwsAsync(boot({ consoleLog, append: `console=ttyS0 ${token}`, untilMarker: 'never printed', timeoutMs: 4000 }));
  t.true(err instanceof LabError);
  t.regex(err.message, /did not show never printed within 4s/);
  t.regex((err as LabError).fix, new RegExp(consoleLog));
  t.deepEqual(await qemuWith(token), []);
});

test.serial("the caller's abort kills qemu", async (t) => {
  const token = `metal.test=${randomUUID()}`;
  const controller = new AbortController();
  const booting = boot({ append: `console=ttyS0 ${token}`, signal: controller.signal });
  // However long qemu takes to start on a loaded machine, up to 30 s.
  const started = async () => {
    const pids = await qemuWith(token);
    return pids.length > 0 ? pids : pending('no qemu yet');
  };
  t.is((await waitFor('qemu to start', started, { deadline: Date.now() + 30_000, intervalMs: 100 })).length, 1, 'qemu was running');
  controller.abort(new Error('stop now'));
  await t.throwsAsync(booting, { message: 'stop now' });
  t.deepEqual(await qemuWith(token), []);
});

test.serial('qemu exiting before the marker is reported with its reason', async (t) => {
  // qemu itself refuses to start when the initrd does not exist.
  const err = await t.throwsAsync(
    bootDirect({
      kernel: image.kernel,
      initrd: path.join(tmp, 'missing-initrd.img'),
      append: 'console=ttyS0',
      accel: 'tcg',
      consoleLog: path.join(tmp, 'early.log'),
      untilMarker: 'never printed',
      timeoutMs: 60_000,
    }),
  );
  t.true(err instanceof LabError);
  t.regex(err.message, /qemu exited \(code 1\) before the console showed never printed: .*missing-initrd\.img/);
});
