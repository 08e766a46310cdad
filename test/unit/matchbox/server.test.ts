import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { readRequestLog } from '../../../src/matchbox/request-log.js';
import { startMatchboxServer } from '../../../src/matchbox/server.js';
import { writeGroup, writeProfile } from '../../../src/matchbox/writer.js';
import { type DataSet, get, serve, tempFixture } from './fixture.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

const MAC = '52:54:00:a1:9c:ae';

const data: DataSet = {
  profiles: [
    {
      id: 'install',
      boot: { kernel: '/assets/vmlinuz', initrd: ['/assets/initrd.img', '/assets/extra.img'], args: ['console=ttyS0', 'coreos.config.url=http://mb/ignition?mac=${mac:hexhyp}'] },
      ignition_id: 'install.yaml',
      generic_id: 'hello.txt',
    },
    { id: 'cluster', boot: { kernel: '/k' }, ignition_id: 'raw.ign' },
    { id: 'noboot', ignition_id: 'missing.ign', generic_id: 'broken.tmpl' },
  ],
  ignition: {
    'install.yaml': 'systemd:\n  units:\n    - name: installer.service\n      enable: true\n      contents: "ExecStart=/install {{.request.raw_query}} {{.pod_cidr}}"\n',
    'raw.ign': '{"ignition":{"version":"2.2.0"},"note":"{{ not a template }}"}',
  },
  generic: { 'hello.txt': 'node {{.mac}} in {{.region}} q={{.request.query.os}}\n', 'broken.tmpl': '{{.nope}}' },
  groups: [
    { id: 'install-node1', profile: 'install', selector: { mac: MAC }, metadata: { pod_cidr: '10.2.0.0/16', region: 'lab', n: 42, flag: true, nested: { a: { b: 'c' } }, list: [1, 2] } },
    { id: 'cluster-node1', profile: 'cluster', selector: { mac: MAC, os: 'installed' } },
    { id: 'odd', profile: 'noboot', selector: { kind: 'odd' } },
  ],
};

async function started(t: { teardown(fn: () => Promise<void>): void }) {
  const f = await tempFixture();
  const server = await serve(f, data);
  t.teardown(() => server.close());
  return { f, server, url: server.url };
}

test('GET / answers matchbox; any other unknown path is Go\'s 404', async (t) => {
  const { url } = await started(t);
  t.deepEqual(await get(`${url}/`).then((r) => [r.status, r.body]), [200, 'matchbox\n']);
  const nf = await get(`${url}/nope`);
  t.deepEqual([nf.status, nf.body, nf.headers.get('content-type')], [404, '404 page not found\n', 'text/plain; charset=utf-8']);
  t.is((await get(`${url}/ipxe/`)).status, 404, 'exact paths only');
});

test('/boot.ipxe and /boot.ipxe.0 chain to /ipxe with iPXE variables', async (t) => {
  const { url } = await started(t);
  const want = '#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}\n';
  for (const p of ['/boot.ipxe', '/boot.ipxe.0']) t.is((await get(url + p)).body, want);
});

test('/ipxe renders kernel, args and one initrd line per initrd', async (t) => {
  const { url } = await started(t);
  const r = await get(`${url}/ipxe?mac=52-54-00-A1-9C-AE`);
  t.is(r.status, 200);
  t.is(r.body, '#!ipxe\nkernel /assets/vmlinuz console=ttyS0 coreos.config.url=http://mb/ignition?mac=${mac:hexhyp}\ninitrd /assets/initrd.img\ninitrd /assets/extra.img\nboot\n');
  t.is((await get(`${url}/ipxe?mac=${MAC}&os=installed`)).body, '#!ipxe\nkernel /k\nboot\n');
});

test('/ipxe: 404 without a matching group, or when the profile has no boot', async (t) => {
  const { url } = await started(t);
  t.is((await get(`${url}/ipxe?mac=52:54:00:00:00:01`)).status, 404);
  t.is((await get(`${url}/ipxe`)).status, 404);
  t.is((await get(`${url}/ipxe?kind=odd`)).status, 404);
});

test('/grub renders both menu entries', async (t) => {
  const { url } = await started(t);
  const r = await get(`${url}/grub?mac=${MAC}`);
  const entry = (title: string, linux: string, initrd: string) =>
    `menuentry "${title}" {\necho "Loading kernel"\n${linux} "/assets/vmlinuz" console=ttyS0 coreos.config.url=http://mb/ignition?mac=\${mac:hexhyp}\necho "Loading initrd"\n${initrd}  "/assets/initrd.img" "/assets/extra.img"\n}\n`;
  t.is(r.body, `default=0\nfallback=1\ntimeout=1\n${entry('CoreOS (EFI)', 'linuxefi', 'initrdefi')}${entry('CoreOS (BIOS)', 'linux', 'initrd')}`);
  t.is((await get(`${url}/grub?mac=52:54:00:00:00:01`)).status, 404);
});

test('/ignition: .ign served raw as JSON; other files rendered as CLC and transpiled', async (t) => {
  const { url } = await started(t);
  const raw = await get(`${url}/ignition?mac=${MAC}&os=installed`);
  t.deepEqual([raw.status, raw.headers.get('content-type'), raw.body], [200, 'application/json', '{"ignition":{"version":"2.2.0"},"note":"{{ not a template }}"}']);
  const clc = await get(`${url}/ignition?mac=${MAC}&x=1`);
  t.is(clc.headers.get('content-type'), 'application/json');
  t.is(
    clc.body,
    '{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.2.0"},"networkd":{},"passwd":{},"storage":{},"systemd":{"units":[{"contents":"ExecStart=/install mac=52:54:00:a1:9c:ae\\u0026x=1 10.2.0.0/16","enable":true,"name":"installer.service"}]}}',
  );
});

test('/ignition: 404 for no group, and for a missing ignition file', async (t) => {
  const { url } = await started(t);
  t.is((await get(`${url}/ignition?mac=52:54:00:00:00:01`)).status, 404);
  t.is((await get(`${url}/ignition?kind=odd`)).status, 404);
});

test('/generic renders selectors, metadata and request.query', async (t) => {
  const { url } = await started(t);
  const r = await get(`${url}/generic?mac=${MAC}&os=x`);
  t.is(r.body, 'node 52:54:00:a1:9c:ae in lab q=x\n');
  t.is(r.headers.get('content-type'), 'text/plain; charset=utf-8');
});

test('/generic: a template error (missing key, Matchbox renders with missingkey=error) is a 404', async (t) => {
  const { f, url } = await started(t);
  t.is((await get(`${url}/generic?mac=${MAC}`)).status, 404, 'request.query.os missing');
  t.is((await get(`${url}/generic?kind=odd`)).status, 404);
  const log = await readRequestLog(f.requestLog);
  t.regex(log.at(-1)?.error ?? '', /map has no entry for key "nope"/);
});

test('/metadata: uppercased KEY=value lines with nested keys and request values', async (t) => {
  const { url } = await started(t);
  const r = await get(`${url}/metadata?mac=52-54-00-a1-9c-ae&foo=bar&foo=baz`);
  t.is(r.headers.get('content-type'), 'plain/text');
  t.is(
    r.body,
    [
      'FLAG=true',
      'MAC=52:54:00:a1:9c:ae',
      'N=42',
      'NESTED_A_B=c',
      'POD_CIDR=10.2.0.0/16',
      'REGION=lab',
      'REQUEST_QUERY_FOO=bar',
      'REQUEST_QUERY_MAC=52:54:00:a1:9c:ae',
      'REQUEST_RAW_QUERY=mac=52-54-00-a1-9c-ae&foo=bar&foo=baz',
      '',
    ].join('\n'),
  );
  t.is((await get(`${url}/metadata?mac=52:54:00:00:00:01`)).status, 404);
});

test('/assets/ serves files, listings and byte ranges; /assets redirects', async (t) => {
  const { f, url } = await started(t);
  await fs.mkdir(path.join(f.assetsDir, 'os'), { recursive: true });
  await fs.writeFile(path.join(f.assetsDir, 'os', 'vmlinuz'), Buffer.from([0x4d, 0x5a, 0, 1, 2, 3]));
  const file = await get(`${url}/assets/os/vmlinuz`);
  t.is(file.status, 200);
  t.is(file.headers.get('content-type'), 'application/octet-stream');
  t.is(file.headers.get('content-length'), '6');
  const part = await fetch(`${url}/assets/os/vmlinuz`, { headers: { Range: 'bytes=2-3' } });
  t.is(part.status, 206);
  t.deepEqual([...new Uint8Array(await part.arrayBuffer())], [0, 1]);
  t.is((await get(`${url}/assets/os/vmlinuz`, { headers: { Range: 'bytes=100-' } })).status, 416);
  const lm = file.headers.get('last-modified')!;
  t.is((await get(`${url}/assets/os/vmlinuz`, { headers: { 'If-Modified-Since': lm } })).status, 304);
  t.is((await get(`${url}/assets/`)).body, '<pre>\n<a href="os/">os/</a>\n</pre>\n');
  const dir = await get(`${url}/assets/os`);
  t.deepEqual([dir.status, dir.headers.get('location')], [301, 'os/']);
  const root = await get(`${url}/assets`);
  t.deepEqual([root.status, root.headers.get('location')], [301, '/assets/']);
  t.is((await get(`${url}/assets/os/nothing`)).status, 404);
});

test('/lab/event answers ok and lands in the request log with its labels', async (t) => {
  const { f, url } = await started(t);
  const r = await get(`${url}/lab/event?mac=52-54-00-a1-9c-ae&stage=userspace`);
  t.deepEqual([r.status, r.body], [200, 'ok\n']);
  await get(`${url}/ipxe?mac=${MAC}`);
  const log = await readRequestLog(f.requestLog);
  const event = log.find((e) => e.path === '/lab/event')!;
  t.deepEqual(event.labels, { mac: MAC, stage: 'userspace' });
  t.is(event.status, 200);
  t.is(event.client, '127.0.0.1');
  t.false(Number.isNaN(Date.parse(event.time)));
  const ipxe = log.find((e) => e.path === '/ipxe')!;
  t.like(ipxe, { method: 'GET', group: 'install-node1', profile: 'install', status: 200, query: `mac=${MAC}` });
});

test('changed files are picked up without a restart; a bad change keeps the last good data and is reported', async (t) => {
  const f = await tempFixture();
  const problems: string[] = [];
  await writeProfile(f.dataDir, { id: 'a', boot: { kernel: '/a' } });
  await writeGroup(f.dataDir, { id: 'g', profile: 'a', selector: { mac: MAC } });
  const server = await startMatchboxServer({ dataDir: f.dataDir, assetsDir: f.assetsDir, host: '127.0.0.1', port: 0, onDataError: (e) => problems.push(e.message) });
  t.teardown(() => server.close());
  t.is((await get(`${server.url}/ipxe?mac=${MAC}`)).body, '#!ipxe\nkernel /a\nboot\n');

  await writeProfile(f.dataDir, { id: 'b', boot: { kernel: '/b' } });
  await writeGroup(f.dataDir, { id: 'g', profile: 'b', selector: { mac: MAC } });
  t.is((await get(`${server.url}/ipxe?mac=${MAC}`)).body, '#!ipxe\nkernel /b\nboot\n', 'seen immediately after the write');

  // An in-place edit (no rename) is seen through inotify.
  await fs.writeFile(path.join(f.dataDir, 'profiles', 'b.json'), JSON.stringify({ id: 'b', boot: { kernel: '/b2' } }));
  const edited = '#!ipxe\nkernel /b2\nboot\n';
  const served = async () => {
    const { body } = await get(`${server.url}/ipxe?mac=${MAC}`);
    return body === edited ? body : pending(body);
  };
  t.is(await waitFor('the edited profile to be served', served, { deadline: Date.now() + 10_000, intervalMs: 20 }), edited);

  await writeGroup(f.dataDir, { id: 'g', profile: 'missing', selector: { mac: MAC } });
  t.is((await get(`${server.url}/ipxe?mac=${MAC}`)).body, '#!ipxe\nkernel /b2\nboot\n', 'last good data keeps serving');
  t.is(problems.length, 1);
  t.regex(problems[0]!, /groups\/g.json: profile: names profile "missing"/);
});

test('a template file changed on disk is re-read on the next request', async (t) => {
  const { f, url } = await started(t);
  await fs.writeFile(path.join(f.dataDir, 'generic', 'hello.txt'), 'v2 {{.region}}\n');
  t.is((await get(`${url}/generic?mac=${MAC}&os=x`)).body, 'v2 lab\n');
});

test('HEAD gets headers without a body, also for a script a GET had asked for before', async (t) => {
  const { f, url } = await started(t);
  const first = await get(`${url}/ipxe?mac=${MAC}`, { method: 'HEAD' });
  const full = await get(`${url}/ipxe?mac=${MAC}`);
  const again = await get(`${url}/ipxe?mac=${MAC}`, { method: 'HEAD' });
  for (const r of [first, again]) {
    t.is(r.status, 200);
    t.is(r.body, '');
    t.is(r.headers.get('content-length'), String(full.body.length));
  }
  const bytes = (await readRequestLog(f.requestLog)).filter((e) => e.path === '/ipxe').map((e) => e.bytes);
  t.deepEqual(bytes, [0, full.body.length, 0]);
});

test('a boot script asked again comes from the reply cache, and its log line is as full as the first', async (t) => {
  const { f, url } = await started(t);
  const first = await get(`${url}/ipxe?mac=${MAC}`);
  const again = await get(`${url}/ipxe?mac=${MAC}`);
  t.is(again.body, first.body);
  const lines = (await readRequestLog(f.requestLog)).filter((e) => e.path === '/ipxe');
  t.is(lines.length, 2);
  for (const line of lines) t.like(line, { group: 'install-node1', profile: 'install', status: 200, bytes: first.body.length, labels: { mac: MAC } });
});
