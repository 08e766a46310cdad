import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { runDoctor } from '../../../src/preflight/doctor.js';
import { loadLab } from '../../../src/spec/lab.js';
import { dnsmasq, ipxeRoms, needs, qemu } from '../../support/needs.js';

needs(qemu, dnsmasq, ...ipxeRoms)('doctor reports every prerequisite, and a held boot-server port as a failure with a fix', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-doctor-'));
  // The state dir does not exist yet: disk space is measured where it will be created.
  process.env.METAL_LAB_HOME = path.join(dir, 'state', 'not-yet');
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    server.close();
    delete process.env.METAL_LAB_HOME;
    await rm(dir, { recursive: true, force: true });
  });
  const { port } = server.address() as net.AddressInfo;
  const mini = await loadLab('mini');
  const lab = { ...mini, id: 'doctortest', bootServer: { address: '127.0.0.1', port } };

  const checks = await runDoctor({ lab });
  t.deepEqual(
    checks.map((c) => c.name),
    ['libvirtd', 'virtlogd', 'qemu', 'dnsmasq', 'iPXE ROMs', 'accelerator', 'boot server port', 'disk space', 'image cache'],
  );
  const by = Object.fromEntries(checks.map((c) => [c.name, c]));
  t.like(by['boot server port'], { ok: false, detail: `port ${port} on 127.0.0.1 is in use: something listens on 127.0.0.1:${port}` });
  t.regex(by['boot server port']!.fix!, /ss -ltnp/);
  t.like(by['qemu'], { ok: true });
  t.like(by['dnsmasq'], { ok: true, detail: '/usr/sbin/dnsmasq' });
  t.like(by['iPXE ROMs'], { ok: true });
  // KVM or TCG: both are fine, the detail says which.
  t.true(by['accelerator']!.ok);
  t.regex(by['accelerator']!.detail, /^(KVM|TCG): .+ \(timeouts x(1|6)\)$/);
  t.regex(by['disk space']!.detail, new RegExp(`^\\d+\\.\\d GiB free at ${dir}`));
  // A missing cache is fine: `up` builds it.
  t.true(by['image cache']!.ok);
  t.regex(by['image cache']!.detail, /^(not built yet: built on first up|built: \/.+)$/);
  for (const c of checks) t.true(c.detail.length > 0, c.name);
});

// Needs nothing, but runs every probe of the real host (virsh and all).
test('doctor without a lab checks port 8080 on the wildcard address', async (t) => {
  const checks = await runDoctor();
  const port = checks.find((c) => c.name === 'boot server port')!;
  t.true(port.ok ? port.detail === '8080 is free on the wildcard address' : /port 8080 is in use/.test(port.detail));
});
