import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { plainStatusArgs } from '../../../src/cli/status.js';
import { metalLab } from '../../support/run-cli.js';

test('a plain status command line runs on its own; anything more goes through commander', (t) => {
  t.deepEqual(plainStatusArgs(['status']), { lab: undefined, json: false });
  t.deepEqual(plainStatusArgs(['status', 'mini']), { lab: 'mini', json: false });
  t.deepEqual(plainStatusArgs(['status', '--json']), { lab: undefined, json: true });
  t.deepEqual(plainStatusArgs(['status', 'mini', '--json']), { lab: 'mini', json: true });
  t.deepEqual(plainStatusArgs(['status', '--json', 'mini']), { lab: 'mini', json: true });
  for (const args of [['up'], [], ['status', '--help'], ['status', '-h'], ['status', 'a', 'b'], ['status', '--json', '--json'], ['status', '--jsn'], ['--version', 'status']]) {
    t.is(plainStatusArgs(args), undefined, args.join(' '));
  }
});

test('status of a lab that does not exist: one line naming the fix and exit 2; a command line status does not take: commander\'s usage error', async (t) => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'status-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const plain = await metalLab(['status', 'nosuchlab'], { METAL_LAB_HOME: home });
  t.is(plain.exitCode, 2);
  t.is(plain.stdout, '');
  t.regex(plain.stderr, /^metal-lab: lab\/nosuchlab\.yaml: no such lab file\. Fix: pass a lab file path or one of: .*mini/);
  t.is(plain.stderr.split('\n').length, 1);

  const usage = await metalLab(['status', 'nosuchlab', 'extra'], { METAL_LAB_HOME: home });
  t.is(usage.exitCode, 1);
  t.regex(usage.stderr, /too many arguments for 'status'/);
});

test('status where virsh is missing: one line naming the fix, not a crash of virsh started early', async (t) => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'status-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  // Its own process, with a PATH that holds node alone: the virsh that status starts before it
  // loads the rest of itself fails at once.
  const bin = path.join(home, 'bin');
  await mkdir(bin);
  await symlink(process.execPath, path.join(bin, 'node'));
  const r = await execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'status', 'mini'], {
    env: { PATH: bin, METAL_LAB_HOME: home },
    extendEnv: false,
    reject: false,
  });
  t.is(r.stdout, '');
  t.is(r.stderr, 'metal-lab: virsh is not installed. Fix: run ./metal-lab setup (or apt-get install libvirt-clients)');
  t.not(r.exitCode, 0);
});
