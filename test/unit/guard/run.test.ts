import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { runGuard } from '../../../src/guard/run.js';

// An API server that takes the request and never answers, as one whose node rebooted mid-request.
test('a pass stuck on an API server that never answers calls onStuck at the limit', async (t) => {
  const server = http.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.closeAllConnections());
  t.teardown(() => server.close());
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'gone', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'gone' });
  const stop = new AbortController();
  const lines: string[] = [];
  const started = Date.now();
  const stuck = await new Promise<number>((resolve) => {
    void runGuard(kc, { overdueMs: 60_000, exempt: new Set(), intervalMs: 50, log: (l) => lines.push(l), signal: stop.signal, passLimitMs: 400, onStuck: () => resolve(Date.now() - started) });
  });
  stop.abort();
  t.true(stuck >= 400 && stuck < 5000, `${stuck} ms`);
  t.deepEqual(lines, ['a pass has run for 0.4s: a request waits on an API server that went away; starting over']);
});
