import { once } from 'node:events';
import net from 'node:net';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import { checkPortFree, listeningSockets, parseProcNetTcp, portConflicts } from '../../../src/preflight/ports.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, st: string) => `   0: ${local} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 1157 1\n`;

test('parses /proc/net/tcp LISTEN rows (little-endian words) and skips other states', (t) => {
  const text = HEADER + row('0100007F:1F90', '0A') + row('00000000:0050', '0A') + row('0100007F:1F91', '01');
  t.deepEqual(parseProcNetTcp(text, 'LE'), [
    { address: '127.0.0.1', port: 8080 },
    { address: '0.0.0.0', port: 80 },
  ]);
});

test('parses big-endian words too', (t) => {
  t.deepEqual(parseProcNetTcp(HEADER + row('7F000001:1F90', '0A'), 'BE'), [{ address: '127.0.0.1', port: 8080 }]);
});

test('parses /proc/net/tcp6: wildcard, loopback, IPv4-mapped', (t) => {
  const text =
    HEADER +
    row('00000000000000000000000000000000:1F90', '0A') +
    row('00000000000000000000000001000000:1F91', '0A') +
    row('0000000000000000FFFF00000100007F:1F92', '0A');
  t.deepEqual(parseProcNetTcp(text, 'LE'), [
    { address: '::', port: 8080 },
    { address: '::1', port: 8081 },
    { address: '127.0.0.1', port: 8082 },
  ]);
});

test('portConflicts: the same address or a wildcard blocks; another address does not', (t) => {
  const listeners = [
    { address: '127.0.0.1', port: 8080 },
    { address: '::', port: 9090 },
  ];
  t.deepEqual(portConflicts(listeners, 8080, '127.0.0.1'), [listeners[0]]);
  t.deepEqual(portConflicts(listeners, 8080, '172.19.0.1'), []);
  t.deepEqual(portConflicts(listeners, 9090, '172.19.0.1'), [listeners[1]]);
  t.deepEqual(portConflicts(listeners, 9090), [listeners[1]]);
  t.deepEqual(portConflicts(listeners, 8080), []);
});

test('checkPortFree: a wildcard listener (fake table) blocks the gateway address', async (t) => {
  const err = await t.throwsAsync(checkPortFree(8080, '172.19.0.1', [{ address: '0.0.0.0', port: 8080 }]), { instanceOf: HostError });
  t.is(err.message, 'port 8080 on 172.19.0.1 is in use: something listens on 0.0.0.0:8080');
  t.regex(err.fix, /ss -ltnp 'sport = :8080'.*bootServer\.port/);
  await t.notThrowsAsync(checkPortFree(8080, '172.19.0.1', [{ address: '0.0.0.0', port: 8081 }]));
});

test('a real socket listening on 127.0.0.1 is found in /proc/net/tcp and blocks that port', async (t) => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;

  t.true((await listeningSockets()).some((l) => l.address === '127.0.0.1' && l.port === port));
  const err = await t.throwsAsync(checkPortFree(port, '127.0.0.1'), { instanceOf: HostError });
  t.is(err.message, `port ${port} on 127.0.0.1 is in use: something listens on 127.0.0.1:${port}`);
  t.is(err.exitCode, 2);
  // The same port on another address is free: the lab's server binds only its bridge address.
  await t.notThrowsAsync(checkPortFree(port, '127.0.0.2'));
  server.close();
  await once(server, 'close');
  await t.notThrowsAsync(checkPortFree(port, '127.0.0.1'));
});

test('a real socket on ::1 is read from /proc/net/tcp6', async (t) => {
  const server = net.createServer();
  server.listen(0, '::1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  t.true((await listeningSockets()).some((l) => l.address === '::1' && l.port === port));
});
