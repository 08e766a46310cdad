import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { openFrontDoor } from '../../../src/kube/api-front-door.js';
import { waitFor } from '../../../src/toolkit/wait-for.js';

/**
 * The API front door against a real dnsmasq on loopback that resolves one name to three
 * addresses, as the lab network's does for the API name: a connection reaches the first server
 * that accepts, stays with it, and moves on when it goes.
 */

const NAME = 'cluster.front-door.test';
const BACKENDS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** A server that says which address it is, then closes. */
function identityServer(host: string, port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end(host));
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve(server)));
}

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** What a client reads through the door: the backend's address, or '' when the door closes on it. */
function through(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let said = '';
    net.connect({ host: hostname, port: Number(port) })
      .on('data', (d) => (said += d))
      .on('close', () => resolve(said))
      .on('error', reject);
  });
}

async function freePort(host: string): Promise<number> {
  const probe = await identityServer(host, 0);
  const { port } = probe.address() as net.AddressInfo;
  await close(probe);
  return port;
}

test('the front door resolves the name through DNS and passes each connection to the first API server that accepts', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'front-door-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const hosts = path.join(dir, 'hosts');
  await writeFile(hosts, BACKENDS.map((ip) => `${ip} ${NAME}\n`).join(''));
  const dnsPort = await freePort('127.0.0.1');
  const dnsmasq = execa('dnsmasq', ['--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`,
    '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${dnsPort}`, `--pid-file=${path.join(dir, 'pid')}`, '--user=root'], { reject: false });
  t.teardown(() => void dnsmasq.kill());

  const apiPort = await freePort('127.0.0.3');
  // 127.0.0.2 accepts nothing (a controller whose API server is down); .3 and .4 answer.
  const servers = new Map(await Promise.all(BACKENDS.slice(1).map(async (ip) => [ip, await identityServer(ip, apiPort)] as const)));
  t.teardown(() => Promise.all([...servers.values()].map((s) => close(s).catch(() => {}))));

  const lines: string[] = [];
  const door = await openFrontDoor({ host: '127.0.0.1', port: 0, apiName: NAME, apiPort, dnsServer: `127.0.0.1:${dnsPort}`, connectTimeoutMs: 1000, log: (l) => lines.push(l) });
  t.teardown(() => door.close());

  // dnsmasq answers once it has read its hosts file.
  const first = await waitFor('the front door to reach a server', async () => (await through(door.url)) || undefined, { deadline: Date.now() + 10_000, intervalMs: 200 });
  t.true(['127.0.0.3', '127.0.0.4'].includes(first), first);
  t.is(await through(door.url), first, 'it stays with the server that answered');

  await close(servers.get(first)!);
  const other = first === '127.0.0.3' ? '127.0.0.4' : '127.0.0.3';
  t.is(await through(door.url), other, 'the next connection goes to the server still up');
  t.true(lines.some((l) => l.includes(`-> ${other}`) && l.includes(`${first} ECONNREFUSED`)), lines.join('\n'));

  await close(servers.get(other)!);
  t.is(await through(door.url), '', 'with no server up, the door closes the connection');
  t.true(lines.some((l) => l.startsWith(`api front door: no API server for ${NAME}: none accepted:`)), lines.join('\n'));
});
