import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { readRequestLog } from '../../../src/matchbox/request-log.js';
import { get, serve, tempFixture } from './fixture.js';

const MAC = '52:54:00:a1:9c:ae';

async function started(t: { teardown(fn: () => Promise<void>): void }) {
  const f = await tempFixture();
  await fs.writeFile(path.join(f.root, 'secret.txt'), 'TOP-SECRET-CONTENT');
  await fs.writeFile(path.join(f.assetsDir, 'ok.txt'), 'fine');
  await fs.symlink(path.join(f.root, 'secret.txt'), path.join(f.assetsDir, 'link-out'));
  await fs.symlink(f.root, path.join(f.assetsDir, 'dir-out'));
  await fs.symlink('ok.txt', path.join(f.assetsDir, 'link-in'));
  const server = await serve(f, { profiles: [{ id: 'p', boot: { kernel: '/k' } }], groups: [{ id: 'g', profile: 'p', selector: { mac: MAC } }] });
  t.teardown(() => server.close());
  return { f, server, url: server.url };
}

/** Sends a raw request line (fetch would normalise the path first). */
function raw(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('end', () => {
      const [head, ...body] = data.split('\r\n\r\n');
      resolve({ status: Number(head!.split(' ')[1]), headers: head!, body: body.join('\r\n\r\n') });
    });
    sock.on('error', reject);
    sock.write(`${request}\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

test('the server binds only the given address', async (t) => {
  const { server } = await started(t);
  t.is(server.host, '127.0.0.1');
  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('/assets/ cannot escape: .., encoded .., absolute and double-slash paths redirect to their clean form', async (t) => {
  const { server } = await started(t);
  for (const [target, location] of [
    ['/assets/../secret.txt', '/secret.txt'],
    ['/assets/%2e%2e/secret.txt', '/secret.txt'],
    ['/assets/%2E%2E/%2e%2e/secret.txt', '/secret.txt'],
    ['/assets/..%2fsecret.txt', '/secret.txt'],
    ['/assets//etc/passwd', '/assets/etc/passwd'],
    ['/assets/./ok.txt', '/assets/ok.txt'],
  ]) {
    const r = await raw(server.port, `GET ${target} HTTP/1.1`);
    t.is(r.status, 301, target);
    t.true(r.headers.includes(`Location: ${location}`), `${target} -> ${r.headers}`);
    t.false(r.body.includes('TOP-SECRET'), target);
  }
  // Following the redirects never reaches the file.
  t.is((await get(`${server.url}/secret.txt`)).status, 404);
  t.is((await get(`${server.url}/assets/etc/passwd`)).status, 404);
});

test('/assets/ symlinks pointing outside the assets dir are absent; inside ones work', async (t) => {
  const { url } = await started(t);
  t.is((await get(`${url}/assets/link-out`)).status, 404);
  t.is((await get(`${url}/assets/dir-out/secret.txt`)).status, 404);
  t.is((await get(`${url}/assets/dir-out/`)).status, 404);
  t.is((await get(`${url}/assets/link-in`)).body, 'fine');
});

test('malformed requests get 400s, not crashes', async (t) => {
  const { server, url } = await started(t);
  t.is((await raw(server.port, 'GET /assets/%zz HTTP/1.1')).status, 400, 'bad escape in path');
  t.is((await raw(server.port, 'GET /assets/a%00b HTTP/1.1')).status, 400, 'NUL byte');
  t.is((await raw(server.port, 'GARBAGE')).status, 400);
  // Malformed queries are Go-tolerant: bad pairs are skipped, the rest still selects.
  for (const q of ['mac=%zz', '%%%&&&;;;==', `mac=${MAC}&%=1`, 'a=1&a=2&a', `mac=${MAC};;x=%`]) {
    const r = await get(`${url}/ipxe?${q}`);
    t.true(r.status === 200 || r.status === 404, q);
  }
  t.is((await get(`${url}/ipxe?mac=${MAC}&%=1`)).status, 200);
  t.is((await get(`${url}/`)).body, 'matchbox\n', 'still alive');
});

test('very long URLs are refused with 431 and logged; the server keeps serving', async (t) => {
  const { f, url, server } = await started(t);
  const r = await raw(server.port, `GET /ipxe?mac=${MAC}&pad=${'x'.repeat(100_000)} HTTP/1.1`);
  t.is(r.status, 431);
  // A long but acceptable query still works.
  t.is((await get(`${url}/ipxe?mac=${MAC}&pad=${'y'.repeat(8000)}`)).status, 200);
  const log = await readRequestLog(f.requestLog);
  t.true(log.some((e) => e.status === 431));
});

// Four times the agent's 500 sockets, so requests queue on every one of them; throughput is
// bench:matchbox's to measure, not this test's.
test('2,000 concurrent requests all get correct answers and are all logged', async (t) => {
  const { f, server } = await started(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 500 });
  t.teardown(() => agent.destroy());
  const one = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const mac = i % 2 === 0 ? MAC : '52:54:00:00:00:01';
      http
        .get({ host: '127.0.0.1', port: server.port, path: `/ipxe?mac=${mac}&i=${i}`, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        })
        .on('error', reject);
    });
  const t0 = Date.now();
  const statuses = await Promise.all(Array.from({ length: 2000 }, (_, i) => one(i)));
  t.log(`2,000 requests in ${Date.now() - t0} ms`);
  t.is(statuses.filter((s) => s === 200).length, 1000);
  t.is(statuses.filter((s) => s === 404).length, 1000);
  await server.close();
  const log = await readRequestLog(f.requestLog);
  t.is(log.filter((e) => e.path === '/ipxe').length, 2000);
});
