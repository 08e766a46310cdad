import { mkdtemp, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { copyPodLogs } from '../../../src/kube/pod-logs.js';

/**
 * The copy against an HTTP server that answers the two API calls it makes as the apiserver does,
 * but ignores sinceSeconds: every poll gets the whole log, the worst case for repeats.
 */

interface Container {
  restarts: number;
  current: string[];
  previous: string[];
}

const pod = (name: string, restartCount: number) => ({
  metadata: { name, namespace: 'reboot-coordinator' },
  status: { containerStatuses: [{ name: 'update-agent', restartCount, ready: true, image: 'i', imageID: 'i' }] },
});

/** agent-x answers from `c`; agent-hung's log requests get no answer at all, as from a node that went away. */
/** `list` hooks run just before and just after a pod list is answered. */
interface ListHooks {
  before?: () => void;
  after?: () => void;
}

function fakeApi(c: Container, hung?: { closed: number }, list: ListHooks = {}): Promise<{ server: http.Server; kc: KubeConfig }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1/namespaces/reboot-coordinator/pods') {
      list.before?.();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [pod('agent-x', c.restarts), ...(hung ? [pod('agent-hung', 0)] : [])] }));
      list.after?.();
    } else if (url.pathname === '/api/v1/namespaces/reboot-coordinator/pods/agent-hung/log' && hung) {
      req.socket.on('close', () => hung.closed++);
    } else if (url.pathname === '/api/v1/namespaces/reboot-coordinator/pods/agent-x/log' && url.searchParams.get('timestamps') === 'true') {
      const lines = url.searchParams.get('previous') === 'true' ? c.previous : c.current;
      res.setHeader('content-type', 'text/plain');
      res.end(lines.map((l) => `${l}\n`).join(''));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const kc = new KubeConfig();
      kc.loadFromClusterAndUser({ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'fake' });
      resolve({ server, kc });
    }),
  );
}

async function until(file: string, lines: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.split('\n').length - 1 >= lines) return text.trimEnd().split('\n');
    await sleep(50);
  }
  return (await readFile(file, 'utf8').catch(() => '')).trimEnd().split('\n');
}

test('copies each line once across polls, and an ended instance\'s last lines before the new one\'s', async (t) => {
  const c: Container = { restarts: 0, current: ['2026-11-29T07:00:00.100000000Z starting', '2026-11-29T07:00:01.000000000Z waiting'], previous: [] };
  // The restart lands just before a pod list, so that the poll sees it whole (the race with the
  // list is the next test's).
  let restart: (() => void) | undefined;
  const { server, kc } = await fakeApi(c, undefined, { before: () => { restart?.(); restart = undefined; } });
  t.teardown(() => server.close());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pod-logs-'));
  const copy = copyPodLogs(kc, ['reboot-coordinator'], dir, { pollMs: 100, requestMs: 5000 });
  const file = path.join(dir, 'reboot-coordinator', 'agent-x', 'update-agent.log');
  t.deepEqual(await until(file, 2), c.current);

  // A second line with the same stamp as the last one copied is new; the repeats are not.
  c.current.push('2026-11-29T07:00:01.000000000Z draining', '2026-11-29T07:00:02.000000000Z Ignoring node drain error and proceeding with reboot');
  await until(file, 4);
  // The instance ends with one more line; the new one starts.
  const ended = [...c.current, '2026-11-29T07:00:03.000000000Z rebooting'];
  restart = () => {
    c.previous = ended;
    c.current = ['2026-11-29T07:05:00.000000000Z starting again'];
    c.restarts = 1;
  };
  const lines = await until(file, 6);
  await copy.stop();
  t.deepEqual(lines, [...c.previous, ...c.current]);
  t.deepEqual((await readFile(file, 'utf8')).trimEnd().split('\n'), lines, 'nothing repeated after more polls');
});

test('a restart between a poll\'s pod list and its log request still gives the ended instance\'s last lines', async (t) => {
  const c: Container = { restarts: 0, current: ['2026-11-29T07:00:00.100000000Z starting'], previous: [] };
  let lists = 0;
  // The container restarts right after the second list has said "no restart yet".
  const { server, kc } = await fakeApi(c, undefined, { after: () => {
    if (++lists !== 2) return;
    c.previous = [...c.current, '2026-11-29T07:00:03.000000000Z rebooting'];
    c.current = ['2026-11-29T07:05:00.000000000Z starting again'];
    c.restarts = 1;
  } });
  t.teardown(() => server.close());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pod-logs-'));
  const copy = copyPodLogs(kc, ['reboot-coordinator'], dir, { pollMs: 100, requestMs: 5000 });
  const lines = await until(path.join(dir, 'reboot-coordinator', 'agent-x', 'update-agent.log'), 3);
  await copy.stop();
  // The new instance's first line came first, in the poll that raced the restart.
  t.deepEqual(lines, ['2026-11-29T07:00:00.100000000Z starting', '2026-11-29T07:05:00.000000000Z starting again', '2026-11-29T07:00:03.000000000Z rebooting']);
});

test('a log request that gets no answer is aborted at the limit, its connection closed, and the others go on', async (t) => {
  const c: Container = { restarts: 0, current: ['2026-11-29T07:00:00.100000000Z starting'], previous: [] };
  const hung = { closed: 0 };
  const { server, kc } = await fakeApi(c, hung);
  t.teardown(() => server.close());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pod-logs-'));
  const copy = copyPodLogs(kc, ['reboot-coordinator'], dir, { pollMs: 100, requestMs: 300 });
  t.deepEqual(await until(path.join(dir, 'reboot-coordinator', 'agent-x', 'update-agent.log'), 1), c.current);
  for (let i = 0; i < 40 && hung.closed === 0; i++) await sleep(50);
  await copy.stop();
  t.true(hung.closed > 0, 'the hung request\'s connection was closed by the copy, not left open');
});
