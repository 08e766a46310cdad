import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CRI_EXIT_WATCHDOG_SCRIPT } from '../../../src/render/cri-exit-watchdog.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

/**
 * The watchdog's program under sh, reading a journal of this test's own (a file it follows with
 * tail). ctr and the containerd restart are scripts that record that they ran; ctr answers as the
 * test tells it. The lines are containerd 1.6's own, as node1 logged them in lab ha run 14.
 */

const ID = '3144ef043d6e18cb985f74369992816f33ceba58530036f2ff22eb7fb4a59462';
const OTHER = `9e499a2b260e${ID.slice(12)}`;
const EXIT = `TaskExit{ContainerID:${ID},ID:${ID},Pid:2440,ExitStatus:255,ExitedAt:2026-12-01 23:54:29.981664492 +0000 UTC,XXX_unrecognized:[],}`;
const TASK_EXIT = `time="2026-12-02T00:00:50.277411123Z" level=info msg="TaskExit event &${EXIT}"`;
const RETRY_FAILED = `time="2026-12-02T00:01:00.897121175Z" level=error msg="Failed to handle backOff event &${EXIT} for ${ID}" error="failed to handle container TaskExit event: failed to stop container: failed to delete task: context deadline exceeded: unknown"`;

interface Rig {
  log: (...lines: string[]) => Promise<void>;
  /** The ids ctr was asked to delete, in order. */
  deleted: () => Promise<string[]>;
  restarts: () => Promise<number>;
  said: () => string;
}

/** `ctr` exits with `ctrExit` after printing `ctrSays`. */
async function rig(t: ExecutionContext, o: { quiet: number; ctrExit?: number; ctrSays?: string }): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cri-exit-watchdog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const journal = path.join(dir, 'journal');
  const [restarted, deletes] = [path.join(dir, 'restarted'), path.join(dir, 'deletes')];
  const [restart, ctr] = [path.join(dir, 'restart'), path.join(dir, 'ctr')];
  await writeFile(journal, '');
  await writeFile(restart, `#!/bin/sh\necho restart >> ${restarted}\n`, { mode: 0o755 });
  await writeFile(ctr, `#!/bin/sh\necho "$1" >> ${deletes}\necho '${o.ctrSays ?? (o.ctrExit ? 'ctr: failed to delete task' : '')}'\nexit ${o.ctrExit ?? 0}\n`, { mode: 0o755 });
  let out = '';
  const child = spawn('sh', ['-c', CRI_EXIT_WATCHDOG_SCRIPT], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: '/usr/bin:/bin', JOURNAL: `tail -f -n +1 ${journal}`, DELETE: ctr, RESTART: restart, QUIET: String(o.quiet) },
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => void process.kill(-child.pid!, 'SIGKILL'));
  const lines = async (f: string) => (await readFile(f, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    log: (...l) => appendFile(journal, l.map((x) => `${x}\n`).join('')),
    deleted: () => lines(deletes),
    restarts: async () => (await lines(restarted)).length,
    said: () => out,
  };
}

const soon = () => ({ deadline: Date.now() + 10_000, intervalMs: 100 });
const settle = () => new Promise((resolve) => setTimeout(resolve, 700));
const deletions = (r: Rig, n: number) => waitFor(`${n} deletions`, async () => (await r.deleted()).length === n || pending(`${(await r.deleted()).length} deletions`), soon());
const restarts = (r: Rig, n: number) => waitFor(`${n} restarts`, async () => (await r.restarts()) === n || pending(`${await r.restarts()} restarts`), soon());

test("a retry that fails to record a container's exit deletes its task with ctr, by its full id, and restarts nothing", async (t) => {
  const r = await rig(t, { quiet: 0 });
  await r.log(TASK_EXIT, RETRY_FAILED);
  await deletions(r, 1);
  t.deepEqual(await r.deleted(), [ID]);
  await waitFor('the outcome', async () => r.said().includes('deleted the task') || pending(r.said()), soon());
  t.regex(r.said(), /failed again to record the exit of container 3144ef043d6e within its 10 s; deleting its stopped task with ctr/);
  t.regex(r.said(), /deleted the task of container 3144ef043d6e in \d+s; containerd's next retry records the exit/);
  t.is(await r.restarts(), 0);
});

test('an exit recorded at the first try, or other errors, touch nothing', async (t) => {
  const r = await rig(t, { quiet: 0 });
  await r.log(TASK_EXIT, 'time="2026-12-02T00:00:49Z" level=error msg="failed to delete shim" error="close wait error: context deadline exceeded"');
  await settle();
  t.deepEqual(await r.deleted(), []);
  t.is(await r.restarts(), 0);
  // The watchdog did read those lines: a failed retry after them still counts.
  await r.log(RETRY_FAILED);
  await deletions(r, 1);
});

test('each container is handled once, however often its retry fails', async (t) => {
  const r = await rig(t, { quiet: 0 });
  await r.log(RETRY_FAILED, RETRY_FAILED, RETRY_FAILED);
  await deletions(r, 1);
  await r.log(RETRY_FAILED.replaceAll(ID, OTHER), RETRY_FAILED);
  await deletions(r, 2);
  await settle();
  t.deepEqual(await r.deleted(), [ID, OTHER]);
});

test('a task already gone is no failure: containerd is not restarted', async (t) => {
  const r = await rig(t, { quiet: 0, ctrExit: 1, ctrSays: `ctr: task ${ID}: not found` });
  await r.log(RETRY_FAILED);
  await waitFor('the outcome', async () => r.said().includes('has no task left') || pending(r.said()), soon());
  await settle();
  t.is(await r.restarts(), 0);
});

test('when ctr cannot delete the task, containerd is restarted, at most once in the quiet time', async (t) => {
  const r = await rig(t, { quiet: 120, ctrExit: 1 });
  await r.log(RETRY_FAILED);
  await restarts(r, 1);
  t.regex(r.said(), /ctr could not delete the task of container 3144ef043d6e \(ctr: failed to delete task\); restarting containerd/);
  await r.log(RETRY_FAILED.replaceAll(ID, OTHER));
  await deletions(r, 2);
  await waitFor('the second outcome', async () => r.said().includes('restarted less than 120s ago') || pending(r.said()), soon());
  t.is(await r.restarts(), 1);
});
