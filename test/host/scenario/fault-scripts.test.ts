import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { rejoinScript } from '../../../src/scenario/faults/etcd-replace.js';
import { asRoot, FILL_FILE, fillScript, freeScript, keyValues, killCommand, parseClockRead, parseFillReport, unitStateCommand } from '../../../src/scenario/faults/node.js';
import { renderedEtcdEnv } from '../../support/node-ignition.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The shell the node faults hand the node, run here by this host's sh, date and systemctl (the
 * same Debian 12 tools as labos): what the unit tier, which has nothing but node, cannot run.
 */

/** What the node's shell would run, without the sudo in front (the tests run as whoever they run as). */
const unsudo = (command: string) => command.replace(/^sudo -n /, '');

test('asRoot hands sh the script verbatim, single quotes included', async (t) => {
  const command = asRoot(`printf '%s\\n' "it's" 'a "quoted" word'`);
  t.true(command.startsWith("sudo -n sh -c '"));
  const r = await execa('sh', ['-c', unsudo(command)]);
  t.is(r.stdout, 'it\'s\na "quoted" word');
});

test("systemctl 252 (labos's) takes the kill and show options as written", async (t) => {
  // On this host systemctl has no systemd to talk to, so it gets as far as the bus: past its option parsing.
  for (const command of [killCommand('metal-lab-no-such-unit.service'), unitStateCommand('metal-lab-no-such-unit.service')]) {
    const r = await execa('sh', ['-c', unsudo(command)], { reject: false });
    t.notRegex(r.stderr, /unrecognized option|invalid option|Failed to parse/i, command);
  }
});

test("date +%s.%N as this host prints it parses as the host's epoch seconds", async (t) => {
  const before = Date.now() / 1000;
  const { stdout } = await execa('date', ['+%s.%N']);
  const node = parseClockRead(`${stdout}\n${'inactive\n'.repeat(5)}`).node;
  t.true(node >= before - 1 && node <= Date.now() / 1000 + 1);
});

test('the fill and free scripts are valid sh, inside their sudo sh -c too', async (t) => {
  for (const script of [fillScript('/var/lib/etcd', 1492127744), freeScript('/var/lib/etcd')]) {
    await t.notThrowsAsync(execa('sh', ['-n', '-c', script]));
    await t.notThrowsAsync(execa('sh', ['-n', '-c', asRoot(script)]));
  }
});

test('disk-free removes the fill and reports its size and the free space; with no fill, says none', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, FILL_FILE), Buffer.alloc(1024 * 1024));
  const first = parseFillReport((await execa('sh', ['-c', freeScript(dir)])).stdout);
  t.is(first.took, 1024 * 1024);
  t.true(first.fs.blockSize > 0 && first.fs.avail > 0);
  await t.throwsAsync(fs.access(path.join(dir, FILL_FILE)));
  const again = parseFillReport((await execa('sh', ['-c', freeScript(dir)])).stdout);
  t.is(again.took, undefined);
});

test('the rejoin script wipes the data dir and makes the member join the existing cluster, keeping every other setting', async (t) => {
  const dir = await tempDir(t);
  const envFile = path.join(dir, 'etcd');
  const rendered = await renderedEtcdEnv();
  await fs.writeFile(envFile, rendered);
  const dataDir = path.join(dir, 'var/lib/etcd/default');
  await fs.mkdir(path.join(dataDir, 'member/wal'), { recursive: true });
  await fs.writeFile(path.join(dataDir, 'member/wal/0000000000000000-0000000000000000.wal'), 'old');
  const script = rejoinScript({ name: 'node3', dataDir, peerURLs: 'https://172.26.0.23:2380' }, envFile);
  await execa('sh', ['-c', script]);
  await execa('sh', ['-c', script]);
  await t.throwsAsync(fs.access(dataDir));
  await fs.access(path.dirname(dataDir));
  const after = await fs.readFile(envFile, 'utf8');
  t.is(after.split('\n').filter((l) => l.startsWith('ETCD_INITIAL_CLUSTER_STATE=')).length, 1);
  t.is(keyValues(after).get('ETCD_INITIAL_CLUSTER_STATE'), 'existing');
  t.is(keyValues(rendered).get('ETCD_INITIAL_CLUSTER_STATE'), 'new');
  const others = (text: string) => [...keyValues(text)].filter(([k]) => k !== 'ETCD_INITIAL_CLUSTER_STATE');
  t.deepEqual(others(after), others(rendered));
});
