import https from 'node:https';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { openFrontDoor, type FrontDoor } from '../../../src/kube/api-front-door.js';
import { waitFor } from '../../../src/toolkit/wait-for.js';
import { issuedTalkPki } from '../../support/pki-fixture.js';

/**
 * The API front door against a real dnsmasq on loopback that resolves the API name to three
 * addresses, as the lab network's does, and API-server stand-ins on those addresses serving the
 * lab PKI's apiserver certificate: TLS goes through the door, the client checks the API name, a
 * connection reaches a ready server that accepts, and moves on when it goes.
 */

const NAME = 'cluster.example.com';
const BACKENDS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const pki = issuedTalkPki().then(({ first }) => ({ ca: first.certs.ca!.certPem, cert: first.certs.apiserver!.certPem, key: first.certs.apiserver!.key.reveal() }));

/** An API server stand-in: /readyz says 200 or 503, anything else answers with its address. */
async function apiServer(host: string, port: number, ready: boolean): Promise<net.Server> {
  const { cert, key } = await pki;
  const server = https.createServer({ cert, key }, (req, res) => {
    if (req.url === '/readyz') res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : '[-]etcd failed');
    else res.end(host);
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve(server)));
}

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** What a client reads through the door, checking the API name in the certificate: the server's address, or '' when the door closes on it. */
async function through(door: FrontDoor): Promise<string> {
  const { ca } = await pki;
  const { hostname, port } = new URL(door.url);
  return new Promise((resolve) => {
    https.get({ host: hostname, port, path: '/', ca, servername: NAME, agent: false }, (res) => {
      let said = '';
      res.on('data', (d) => (said += d)).on('end', () => resolve(said));
    }).on('error', () => resolve(''));
  });
}

async function freePort(host: string): Promise<number> {
  const probe = await apiServer(host, 0, false);
  const { port } = probe.address() as net.AddressInfo;
  await close(probe);
  return port;
}

/** A dnsmasq on 127.0.0.1 that resolves NAME to every backend; its `host:port`. */
async function nameServer(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'front-door-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const hosts = path.join(dir, 'hosts');
  await writeFile(hosts, BACKENDS.map((ip) => `${ip} ${NAME}\n`).join(''));
  const port = await freePort('127.0.0.1');
  const dnsmasq = execa('dnsmasq', ['--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`,
    '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`, `--pid-file=${path.join(dir, 'pid')}`, '--user=root'], { reject: false });
  t.teardown(() => void dnsmasq.kill());
  return `127.0.0.1:${port}`;
}

async function open(t: ExecutionContext, apiPort: number, lines: string[]): Promise<FrontDoor> {
  const door = await openFrontDoor({ host: '127.0.0.1', port: 0, apiName: NAME, apiPort, dnsServer: await nameServer(t), connectTimeoutMs: 1000, probeIntervalMs: 200, log: (l) => lines.push(l) });
  t.teardown(() => door.close());
  return door;
}

/** dnsmasq answers once it has read its hosts file, and the probes have run once. */
const firstAnswer = (door: FrontDoor) =>
  waitFor('the front door to reach a server', async () => (await through(door)) || undefined, { deadline: Date.now() + 10_000, intervalMs: 200 });

test('the front door passes TLS through to the first API server that accepts, stays with it, and moves on when it goes', async (t) => {
  const apiPort = await freePort('127.0.0.3');
  // 127.0.0.2 accepts nothing (a controller powered off); .3 and .4 answer.
  const servers = new Map(await Promise.all(BACKENDS.slice(1).map(async (ip) => [ip, await apiServer(ip, apiPort, true)] as const)));
  t.teardown(() => Promise.all([...servers.values()].map((s) => close(s).catch(() => {}))));
  const lines: string[] = [];
  const door = await open(t, apiPort, lines);

  const first = await firstAnswer(door);
  t.true(['127.0.0.3', '127.0.0.4'].includes(first), first);
  t.is(await through(door), first, 'it stays with the server that answered');

  await close(servers.get(first)!);
  const other = first === '127.0.0.3' ? '127.0.0.4' : '127.0.0.3';
  t.is(await through(door), other, 'the next connection goes to the server still up');
  t.true(lines.some((l) => l.includes(`-> ${other}`)), lines.join('\n'));

  await close(servers.get(other)!);
  t.is(await through(door), '', 'with no server up, the door closes the connection');
  t.true(lines.some((l) => l.startsWith(`api front door: no API server for ${NAME}: none accepted: `) && l.includes('127.0.0.2 ECONNREFUSED')), lines.join('\n'));
});

test('the front door prefers an API server whose /readyz says ready over one that accepts but is not', async (t) => {
  const apiPort = await freePort('127.0.0.3');
  // .2 and .3 accept, but their /readyz fails (cut off from etcd's quorum); .4 is ready.
  const servers = await Promise.all(BACKENDS.map((ip) => apiServer(ip, apiPort, ip === '127.0.0.4')));
  t.teardown(() => Promise.all(servers.map((s) => close(s).catch(() => {}))));
  const door = await open(t, apiPort, []);
  await waitFor('the probes to find 127.0.0.4 ready', async () => ((await through(door)) === '127.0.0.4') || undefined, { deadline: Date.now() + 10_000, intervalMs: 200 });
  for (let i = 0; i < 5; i++) t.is(await through(door), '127.0.0.4');

  // A stream still open (a watch) ends with the door, and does not hold its close().
  const { hostname, port } = new URL(door.url);
  const held = net.connect({ host: hostname, port: Number(port) });
  await new Promise((resolve) => held.once('connect', resolve));
  const ended = new Promise((resolve) => held.once('close', resolve));
  await door.close();
  await ended;
  t.true(held.destroyed);
});

test('a /readyz probe that gets no answer is not asked again before it times out', async (t) => {
  const apiPort = await freePort('127.0.0.3');
  // Every server accepts and never answers, as a starved API server does.
  const accepted = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const servers = await Promise.all(
    BACKENDS.map((ip) => new Promise<net.Server>((resolve) => {
      const server = net.createServer((socket) => {
        sockets.add(socket);
        accepted.set(ip, (accepted.get(ip) ?? 0) + 1);
      });
      server.listen(apiPort, ip, () => resolve(server));
    })),
  );
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return Promise.all(servers.map((s) => close(s).catch(() => {})));
  });
  await open(t, apiPort, []);
  await waitFor('a probe to reach every server', async () => BACKENDS.every((ip) => accepted.get(ip)) || undefined, { deadline: Date.now() + 10_000, intervalMs: 50 });
  // Within the probe's 1000 ms timeout, the 200 ms interval comes round three times more.
  await new Promise((resolve) => setTimeout(resolve, 700));
  t.deepEqual(BACKENDS.map((ip) => accepted.get(ip)), [1, 1, 1]);
});
