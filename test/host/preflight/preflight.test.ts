import { existsSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { SpecError } from '../../../src/errors.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { definedNetworks } from '../../../src/libvirt/network-claims.js';
import { preflightLab } from '../../../src/preflight/preflight.js';
import { loadLab } from '../../../src/spec/lab.js';
import type { LabSpec } from '../../../src/ground/lab-spec.js';
import { ip, libvirtd, needs, virsh } from '../../support/needs.js';

// preflightLab checks libvirtd first (it runs after ./metal-lab setup and in .ci/run), then the
// host's interfaces, libvirt's networks, routes and ports. It only reads: nothing here is created.
const withLibvirt = needs(virsh, libvirtd, ip);
const host = hostLayout();

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

withLibvirt('preflight (needs libvirtd): each clash names the lab file and its field; what the lab holds already is skipped', async (t) => {
  const lab = await clashingLab(await listen(t));
  const port = lab.bootServer.port;
  const none = { ownBridge: false, ownServer: false };

  const name = await t.throwsAsync(preflightLab(lab, host, none), { instanceOf: SpecError });
  t.is(name.message, 'lab/mini.yaml: network.bridge: a network interface named lo already exists on this host');

  const subnet = await t.throwsAsync(preflightLab({ ...lab, network: { ...lab.network, bridge: 'ml-free9' } }, host, none), { instanceOf: SpecError });
  t.is(subnet.field, 'network.subnet');
  t.regex(subnet.message, /^lab\/mini\.yaml: network\.subnet: the lab subnet 127\.0\.0\.0\/24 overlaps .* on lo/);

  const busy = await t.throwsAsync(preflightLab(lab, host, { ownBridge: true, ownServer: false }), { instanceOf: SpecError });
  t.is(busy.message, `lab/mini.yaml: bootServer.port: port ${port} on 127.0.0.1 is in use: something listens on 127.0.0.1:${port}`);

  await t.notThrowsAsync(preflightLab(lab, host, { ownBridge: true, ownServer: true }));
});

withLibvirt('preflight (needs libvirtd): a subnet or bridge of a libvirt network, started or not, is refused', async (t) => {
  const mini = await loadLab('mini');
  const others = (await definedNetworks()).filter((n) => !n.name.startsWith('ml-') && n.subnets.length > 0);
  if (others.length === 0) t.log('no libvirt network besides the labs\' is defined here: nothing to clash with');
  for (const other of others) {
    const onIt = { ...mini, network: { ...mini.network, bridge: 'ml-free9', subnet: other.subnets[0]! } };
    const err = await t.throwsAsync(preflightLab(onIt, host, { ownBridge: false, ownServer: true }), { instanceOf: SpecError });
    t.is(err.field, 'network.subnet');
    t.regex(err.message, new RegExp(`overlaps ${other.subnets[0]!.replace(/\./g, '\\.')} of libvirt network ${other.name} \\((running|defined but not started)\\)$`));
    if (!other.bridge || other.active) continue;
    // A stopped network's bridge is no interface yet, but it is claimed all the same.
    const bridged = await t.throwsAsync(preflightLab({ ...mini, network: { ...mini.network, bridge: other.bridge } }, host, { ownBridge: false, ownServer: true }), { instanceOf: SpecError });
    t.is(bridged.message, `lab/mini.yaml: network.bridge: ${other.bridge} is the bridge of libvirt network ${other.name} (defined but not started)`);
  }
});

withLibvirt('preflight (needs libvirtd): the shipped mini lab passes on this host', async (t) => {
  const own = existsSync('/sys/class/net/ml-mini0');
  await t.notThrowsAsync(preflightLab(await loadLab('mini'), host, { ownBridge: own, ownServer: false }));
});
