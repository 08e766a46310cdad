import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CRI_EXIT_WATCHDOG_SCRIPT } from '../../../src/render/cri-exit-watchdog.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

/**
 * The watchdog's program under sh, reading a journal of this test's own (a file it follows with
 * tail) and restarting containerd with a script that only records that it ran. The lines are
 * containerd 1.6's own, as node1 logged them in lab ha run 14.
 */

const ID = '3144ef043d6e18cb985f74369992816f33ceba58530036f2ff22eb7fb4a59462';
const EXIT = `TaskExit{ContainerID:${ID},ID:${ID},Pid:2440,ExitStatus:255,ExitedAt:2026-12-01 23:54:29.981664492 +0000 UTC,XXX_unrecognized:[],}`;
const TASK_EXIT = `time="2026-12-02T00:00:50.277411123Z" level=info msg="TaskExit event &${EXIT}"`;
const RETRY_FAILED = `time="2026-12-02T00:01:00.897121175Z" level=error msg="Failed to handle backOff event &${EXIT} for ${ID}" error="failed to handle container TaskExit event: failed to stop container: failed to delete task: context deadline exceeded: unknown"`;

interface Rig {
  log: (...lines: string[]) => Promise<void>;
  restarts: () => Promise<number>;
  said: () => string;
}

async function rig(t: ExecutionContext, quiet: number): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cri-exit-watchdog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const journal = path.join(dir, 'journal');
  const restarted = path.join(dir, 'restarted');
  const restart = path.join(dir, 'restart');
  await writeFile(journal, '');
  await writeFile(restart, `#!/bin/sh\necho restart >> ${restarted}\n`, { mode: 0o755 });
  let out = '';
  const child = spawn('sh', ['-c', CRI_EXIT_WATCHDOG_SCRIPT], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: '/usr/bin:/bin', JOURNAL: `tail -f -n +1 ${journal}`, RESTART: restart, QUIET: String(quiet) },
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => void process.kill(-child.pid!, 'SIGKILL'));
  return {
    log: (...lines) => appendFile(journal, lines.map((l) => `${l}\n`).join('')),
    restarts: async () => (await readFile(restarted, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
    said: () => out,
  };
}

const soon = () => ({ deadline: Date.now() + 10_000, intervalMs: 100 });
const settle = () => new Promise((resolve) => setTimeout(resolve, 700));

test('a retry that fails to record a container exit restarts containerd, and the line names the container', async (t) => {
  const r = await rig(t, 120);
  await r.log(TASK_EXIT, RETRY_FAILED);
  await waitFor('the restart', async () => (await r.restarts()) === 1 || pending(`${await r.restarts()} restarts`), soon());
  t.regex(r.said(), /containerd failed again to record the exit of container 3144ef043d6e; restarting containerd/);
});

test('an exit recorded at the first try, or other errors, restart nothing', async (t) => {
  const r = await rig(t, 0);
  await r.log(TASK_EXIT, 'time="2026-12-02T00:00:49Z" level=error msg="failed to delete shim" error="close wait error: context deadline exceeded"');
  await settle();
  t.is(await r.restarts(), 0);
  // The watchdog did read those lines: a failed retry after them still counts.
  await r.log(RETRY_FAILED);
  await waitFor('the restart', async () => (await r.restarts()) === 1 || pending(`${await r.restarts()} restarts`), soon());
});

test('retries failing again within the quiet time restart containerd once', async (t) => {
  const r = await rig(t, 120);
  await r.log(RETRY_FAILED);
  await waitFor('the restart', async () => (await r.restarts()) === 1 || pending(`${await r.restarts()} restarts`), soon());
  await r.log(RETRY_FAILED, RETRY_FAILED);
  await settle();
  t.is(await r.restarts(), 1);
});

test('a container whose exit fails again after its restart is named once and left alone; another one still restarts containerd', async (t) => {
  const r = await rig(t, 0);
  await r.log(RETRY_FAILED);
  await waitFor('the restart', async () => (await r.restarts()) === 1 || pending(`${await r.restarts()} restarts`), soon());
  // As node1 in ha run 16: the same container's exit failing again after every restart.
  await r.log(RETRY_FAILED, RETRY_FAILED, RETRY_FAILED);
  await waitFor('the watchdog to give that container up', async () => r.said().includes('still cannot') || pending('not said yet'), soon());
  await settle();
  t.is(await r.restarts(), 1);
  t.is(r.said().match(/still cannot record the exit of container 3144ef043d6e after a restart for it/g)?.length, 1);
  await r.log(RETRY_FAILED.replaceAll(ID, `9e499a2b260e${ID.slice(12)}`));
  await waitFor('the restart for the other container', async () => (await r.restarts()) === 2 || pending(`${await r.restarts()} restarts`), soon());
  t.regex(r.said(), /record the exit of container 9e499a2b260e; restarting containerd/);
});
