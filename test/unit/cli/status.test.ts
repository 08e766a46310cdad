import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
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
