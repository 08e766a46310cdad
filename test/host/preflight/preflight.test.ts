import { existsSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { HostError } from '../../../src/errors.js';
import { preflightLab } from '../../../src/preflight/preflight.js';
import { loadLab } from '../../../src/spec/lab.js';
import type { LabSpec } from '../../../src/ground/lab-spec.js';
import { ip, libvirtd, needs, virsh } from '../../support/needs.js';

// preflightLab checks libvirtd first (it runs after ./metal-lab setup and in .ci/run), then the
// host's interfaces, routes and ports.
const withLibvirt = needs(virsh, libvirtd, ip);

/** mini, moved onto things this host already has: lo, 127.0.0.0/24, a port on 127.0.0.1. */
async function clashingLab(port: number): Promise<LabSpec> {
  const mini = await loadLab('mini');
  return {
    ...mini,
    network: { ...mini.network, bridge: 'lo', subnet: '127.0.0.0/24', gateway: '127.0.0.1' },
    bootServer: { address: '127.0.0.1', port },
  };
}

async function listen(t: import('ava').ExecutionContext): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

withLibvirt('preflight (needs libvirtd): each clash is reported; owning the bridge and the server skips those checks', async (t) => {
  const lab = await clashingLab(await listen(t));
  const port = lab.bootServer.port;

  const name = await t.throwsAsync(preflightLab(lab, { ownBridge: false, ownServer: false }), { instanceOf: HostError });
  t.is(name.message, 'a network interface named lo already exists on this host');

  const subnet = await t.throwsAsync(
    preflightLab({ ...lab, network: { ...lab.network, bridge: 'ml-free9' } }, { ownBridge: false, ownServer: false }),
    { instanceOf: HostError },
  );
  t.regex(subnet.message, /^the lab subnet 127\.0\.0\.0\/24 overlaps .* on lo/);

  const busy = await t.throwsAsync(preflightLab(lab, { ownBridge: true, ownServer: false }), { instanceOf: HostError });
  t.is(busy.message, `port ${port} on 127.0.0.1 is in use: something listens on 127.0.0.1:${port}`);

  await t.notThrowsAsync(preflightLab(lab, { ownBridge: true, ownServer: true }));
});

withLibvirt('preflight (needs libvirtd): the shipped mini lab passes on this host', async (t) => {
  await t.notThrowsAsync(preflightLab(await loadLab('mini'), { ownBridge: existsSync('/sys/class/net/ml-mini0'), ownServer: false }));
});
