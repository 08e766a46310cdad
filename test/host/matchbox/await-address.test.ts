import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { selfCommand } from '../../../src/lab/self.js';
import { ip, needs, root } from '../../support/needs.js';

// `up` starts the boot server beside the lab network, before the bridge has its address. Here a
// private network namespace stands in for the host: the address is added to its loopback later.
const test = needs(root, ip);

const ADDRESS = '10.213.48.1';

/** A namespace and an empty Matchbox data dir, both removed in teardown. */
async function sandbox(t: ExecutionContext) {
  const ns = `mlaw${randomBytes(3).toString('hex')}`;
  const data = await mkdtemp(path.join(os.tmpdir(), 'ml-await-'));
  for (const dir of ['groups', 'profiles', 'ignition']) await mkdir(path.join(data, dir));
  await execa('ip', ['netns', 'add', ns]);
  t.teardown(async () => {
    await execa('ip', ['netns', 'del', ns], { reject: false });
    await rm(data, { recursive: true, force: true });
  });
  await execa('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const self = selfCommand();
  const serve = (...extra: string[]) =>
    execa('ip', ['netns', 'exec', ns, self.file, ...self.args, 'matchbox', 'serve', '--data', data, '--assets', data, '--address', `${ADDRESS}:8080`, ...extra], { reject: false, all: true });
  return { ns, serve };
}

test('the boot server binds once its address appears, within --await-address', async (t) => {
  const { ns, serve } = await sandbox(t);
  const server = serve('--await-address', '60');
  t.teardown(() => void server.kill());
  const serving = new Promise<void>((resolve) => server.stdout!.on('data', (d: Buffer) => String(d).includes('matchbox: serving') && resolve()));
  // Long enough for the server to have tried the missing address and be waiting for it.
  await new Promise((r) => setTimeout(r, 3000));
  t.is(server.exitCode, null, 'still waiting, not failed');
  await execa('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']);
  await serving;
  const answer = await execa('ip', ['netns', 'exec', ns, process.execPath, '-e', `fetch('http://${ADDRESS}:8080/').then((r) => r.text()).then((b) => process.stdout.write(b))`]);
  t.is(answer.stdout.trim(), 'matchbox');
});

test('an address that never appears fails with one line: at once without --await-address, after it with', async (t) => {
  const { serve } = await sandbox(t);
  for (const extra of [[], ['--await-address', '1']]) {
    const r = await serve(...extra);
    t.is(r.exitCode, 2, extra.join(' '));
    t.regex(r.all!, new RegExp(`^metal-lab: ${ADDRESS.replaceAll('.', '\\.')} is not an address of this machine\\. Fix: `, 'm'));
  }
});
