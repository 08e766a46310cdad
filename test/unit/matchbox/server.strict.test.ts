import http from 'node:http';
import test from 'ava';
import { readRequestLog } from '../../../src/matchbox/request-log.js';
import { startMatchboxServer } from '../../../src/matchbox/server.js';
import { tempFixture, writeData } from './fixture.js';

/**
 * Strict mode: /ignition and /metadata answer a machine only from the address reserved for the
 * MAC it asks about. Real sockets on loopback, each client bound to its own 127.0.0.x source.
 */

const NODE1 = '52:54:00:a1:9c:ae';
const NODE2 = '52:54:00:b2:2f:86';

async function strictServer(t: { teardown(fn: () => Promise<void>): void }) {
  const f = await tempFixture();
  await writeData(f.dataDir, {
    profiles: [{ id: 'p1', boot: { kernel: '/k' }, ignition_id: 'n1.ign' }, { id: 'p2', boot: { kernel: '/k' }, ignition_id: 'n2.ign' }],
    ignition: { 'n1.ign': '{"ignition":{"version":"3.3.0"},"note":"node1 secret"}', 'n2.ign': '{"ignition":{"version":"3.3.0"},"note":"node2 secret"}' },
    groups: [{ id: 'g1', profile: 'p1', selector: { mac: NODE1 }, metadata: { who: 'node1' } }, { id: 'g2', profile: 'p2', selector: { mac: NODE2 }, metadata: { who: 'node2' } }],
  });
  const reservations = new Map([[NODE1, '127.0.0.2'], [NODE2, '127.0.0.3']]);
  const server = await startMatchboxServer({ dataDir: f.dataDir, assetsDir: f.assetsDir, host: '127.0.0.1', port: 0, requestLog: f.requestLog, reservations });
  t.teardown(() => server.close());
  return { f, url: server.url };
}

/** GET from a chosen source address. */
function getFrom(localAddress: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

test("each node reads its own config and metadata, and not the other's", async (t) => {
  const { url } = await strictServer(t);
  const own = await getFrom('127.0.0.2', `${url}/ignition?mac=${NODE1}`);
  t.is(own.status, 200);
  t.regex(own.body, /node1 secret/);
  t.regex((await getFrom('127.0.0.2', `${url}/metadata?mac=${NODE1.replace(/:/g, '-')}`)).body, /WHO=node1/);

  for (const path of ['ignition', 'metadata']) {
    const other = await getFrom('127.0.0.2', `${url}/${path}?mac=${NODE2}`);
    t.is(other.status, 403, path);
    t.notRegex(other.body, /node2/);
  }
  t.is((await getFrom('127.0.0.3', `${url}/ignition?mac=${NODE2}`)).status, 200);
});

test('a request without a mac, or from an address reserved for no one, is refused; the host itself may read', async (t) => {
  const { url, f } = await strictServer(t);
  t.is((await getFrom('127.0.0.2', `${url}/ignition?os=installed`)).status, 403);
  t.is((await getFrom('127.0.0.9', `${url}/ignition?mac=${NODE1}`)).status, 403);
  t.is((await getFrom('127.0.0.1', `${url}/ignition?mac=${NODE2}`)).status, 200, "the server's own address is the host");
  // What strict mode does not guard still answers anyone: the iPXE script holds no secret.
  t.is((await getFrom('127.0.0.9', `${url}/ipxe?mac=${NODE1}`)).status, 200);
  const refused = (await readRequestLog(f.requestLog)).filter((e) => e.status === 403);
  t.deepEqual(refused.map((e) => e.error), [
    'strict: 127.0.0.2 asked without a mac',
    `strict: 127.0.0.9 asked for ${NODE1}, reserved for 127.0.0.2`,
  ]);
});

test('a config one node read is not handed to the next asker of the same URL: who asks decides, every time', async (t) => {
  const { url } = await strictServer(t);
  const target = `${url}/metadata?mac=${NODE1.replace(/:/g, '-')}`;
  t.is((await getFrom('127.0.0.2', target)).status, 200);
  const other = await getFrom('127.0.0.3', target);
  t.is(other.status, 403);
  t.notRegex(other.body, /node1/);
  t.regex((await getFrom('127.0.0.2', target)).body, /WHO=node1/);
});
