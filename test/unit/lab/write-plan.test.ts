import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { writePlan } from '../../../src/lab/write-plan.js';
import type { LabPlan } from '../../../src/render/plan.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'write-plan-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

test('a plan is written in order: dirs with their modes, texts with theirs, built files linked; again changes nothing', async (t) => {
  const dir = await tempDir(t);
  const built = path.join(dir, 'built.img');
  await fs.writeFile(built, 'image');
  const root = path.join(dir, 'labs', 'x');
  const plan: LabPlan = new Map([
    ['secret', { kind: 'dir', mode: 0o700, fresh: true }],
    ['secret/key', { kind: 'text', text: 'k', mode: 0o600 }],
    ['render/a.xml', { kind: 'text', text: '<a/>\n', mode: 0o644 }],
    ['assets/img', { kind: 'copy', from: built }],
  ]);
  await writePlan(root, plan);
  t.is(await mode(path.join(root, 'secret')), 0o700);
  t.is(await mode(path.join(root, 'secret', 'key')), 0o600);
  t.is(await fs.readFile(path.join(root, 'render', 'a.xml'), 'utf8'), '<a/>\n');
  const linked = await fs.stat(path.join(root, 'assets', 'img'));
  t.is(linked.ino, (await fs.stat(built)).ino, 'hard-linked, not copied');

  await fs.writeFile(path.join(root, 'secret', 'stale'), 'from an older render');
  await writePlan(root, plan);
  t.deepEqual(await fs.readdir(path.join(root, 'secret')), ['key'], 'a fresh dir is emptied first');
  t.is((await fs.stat(path.join(root, 'assets', 'img'))).ino, linked.ino);
  t.deepEqual((await fs.readdir(path.join(root, 'render'))).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
});
