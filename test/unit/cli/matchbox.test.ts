import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { parseAddress, parseReservations } from '../../../src/cli/matchbox.js';
import { LabError } from '../../../src/errors.js';
import { parseGoMac } from '../../../src/matchbox/mac.js';
import { writeGroup, writeProfile } from '../../../src/matchbox/writer.js';
import { metalLab } from '../../support/run-cli.js';
import { tempFixture } from '../matchbox/fixture.js';

const main = path.resolve('src/cli/main.ts');
const cli = (args: string[]) => metalLab(['matchbox', 'serve', ...args]);

test('parseAddress accepts IPv4 and bracketed IPv6, refuses names and bad ports', (t) => {
  t.deepEqual(parseAddress('172.18.0.2:8080'), { host: '172.18.0.2', port: 8080 });
  t.deepEqual(parseAddress('[::1]:80'), { host: '::1', port: 80 });
  for (const bad of ['localhost:8080', '127.0.0.1', '127.0.0.1:70000', ':8080', '1.2.3:80']) {
    t.throws(() => parseAddress(bad), { instanceOf: LabError }, bad);
  }
});

test('parseReservations reads MAC=IP pairs into MAC normal form; anything else is one line', (t) => {
  t.deepEqual([...parseReservations('52-54-00-A1-9C-AE=172.19.0.21, 52:54:00:b2:2f:86=172.19.0.22', parseGoMac)], [
    ['52:54:00:a1:9c:ae', '172.19.0.21'],
    ['52:54:00:b2:2f:86', '172.19.0.22'],
  ]);
  for (const bad of ['52:54:00:a1:9c:ae', 'node1=172.19.0.21', '52:54:00:a1:9c:ae=host', '52:54:00:a1:9c:ae=1.2.3.4=5']) {
    const err = t.throws(() => parseReservations(bad, parseGoMac), { instanceOf: LabError }, bad);
    t.regex(err.line(), /^--strict: ".*" is not MAC=IP\. Fix: pass each machine as MAC=IP/);
  }
});

test('serve: unparseable address is one line, exit 2', async (t) => {
  const f = await tempFixture();
  const r = await cli(['--data', f.dataDir, '--assets', f.assetsDir, '--address', 'nonsense']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /^metal-lab: --address "nonsense" is not IP:PORT\. Fix: /);
  t.is(r.stderr.trim().split('\n').length, 1);
});

test('serve: bad data dir is one line naming the file, exit 2', async (t) => {
  const f = await tempFixture();
  await writeGroup(f.dataDir, { id: 'g', profile: 'nope' });
  const r = await cli(['--data', f.dataDir, '--assets', f.assetsDir, '--address', '127.0.0.1:0']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /groups\/g\.json: profile: names profile "nope"/);
  const missing = await cli(['--data', path.join(f.root, 'absent'), '--assets', f.assetsDir, '--address', '127.0.0.1:1']);
  t.is(missing.exitCode, 2);
  t.regex(missing.stderr, /does not exist/);
});

test('serve: a port in use is a HostError, exit 2', async (t) => {
  const f = await tempFixture();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as net.AddressInfo).port;
  const r = await cli(['--data', f.dataDir, '--assets', f.assetsDir, '--address', `127.0.0.1:${port}`]);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
});

test('serve: prints the URL, serves, and exits 0 on SIGTERM', async (t) => {
  const f = await tempFixture();
  await writeProfile(f.dataDir, { id: 'p', boot: { kernel: '/k' } });
  const child = execa('node', ['--import=tsx', main, 'matchbox', 'serve', '--data', f.dataDir, '--assets', f.assetsDir, '--address', '127.0.0.1:0'], { reject: false, timeout: 30_000 });
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
  });
  t.is(await (await fetch(`${url}/`)).text(), 'matchbox\n');
  child.kill('SIGTERM');
  const r = await child;
  t.is(r.exitCode, 0);
  t.is(r.stdout.trim().split('\n').length, 1);
});
