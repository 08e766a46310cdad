import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CRI_EXIT_WATCHDOG_SCRIPT } from '../../../src/render/cri-exit-watchdog.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

/**
 * The watchdog's program under sh, reading a journal of this test's own (a file it follows with
 * tail), with a cgroup tree of its own. ctr is a script that records each deletion and answers as
 * runc would: "paused" while the container's freezer.state says FROZEN, else as the test tells it.
 * The lines are containerd 1.6's own, as node1 logged them in lab ha run 14.
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
  /** The container's freezer.state in the rig's cgroup tree. */
  freezer: string;
  said: () => string;
  /** Waits until the watchdog has said `what`. */
  saysSoon: (what: string) => Promise<void>;
}

/** ctr's answer to a deletion of a container that is not frozen: exit status and what it prints. */
async function rig(t: ExecutionContext, ctrAnswer: { exit: number; says?: string } = { exit: 0 }): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cri-exit-watchdog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const journal = path.join(dir, 'journal');
  const [deletes, ctr, cgroups] = [path.join(dir, 'deletes'), path.join(dir, 'ctr'), path.join(dir, 'cgroup')];
  // cgroup v1's layout under the cgroupfs driver, as labos has it.
  const container = path.join(cgroups, 'freezer', 'kubepods', 'besteffort', 'pod20679e1c', ID);
  await mkdir(container, { recursive: true });
  const freezer = path.join(container, 'freezer.state');
  await writeFile(freezer, 'THAWED\n');
  await writeFile(journal, '');
  await writeFile(
    ctr,
    `#!/bin/sh
[ "$1 $2" = "tasks delete" ] || exit 2
echo "$3" >> ${deletes}
if grep -qs FROZEN ${cgroups}/freezer/kubepods/besteffort/*/"$3"/freezer.state; then
  echo "ctr: failed to delete task: cannot delete container $3 that is not stopped: paused: unknown"; exit 1
fi
echo '${ctrAnswer.says ?? ''}'
exit ${ctrAnswer.exit}
`,
    { mode: 0o755 },
  );
  let out = '';
  const child = spawn('sh', ['-c', CRI_EXIT_WATCHDOG_SCRIPT], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: '/usr/bin:/bin', JOURNAL: `tail -f -n +1 ${journal}`, CTR: ctr, CGROUPS: cgroups },
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => void process.kill(-child.pid!, 'SIGKILL'));
  return {
    log: (...l) => appendFile(journal, l.map((x) => `${x}\n`).join('')),
    deleted: async () => (await readFile(deletes, 'utf8').catch(() => '')).split('\n').filter(Boolean),
    freezer,
    said: () => out,
    saysSoon: async (what) => {
      await waitFor(`the watchdog to say "${what}"`, async () => out.includes(what) || pending(out), { deadline: Date.now() + 10_000, intervalMs: 100 });
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 700));

test("a retry that fails to record a container's exit deletes its task with ctr, by its full id", async (t) => {
  const r = await rig(t);
  await r.log(TASK_EXIT, RETRY_FAILED);
  await r.saysSoon('deleted the task');
  t.deepEqual(await r.deleted(), [ID]);
  t.regex(r.said(), /failed again to record the exit of container 3144ef043d6e within its 10 s; deleting its stopped task with ctr/);
  t.regex(r.said(), /deleted the task of container 3144ef043d6e in \d+s; containerd's next retry records the exit/);
});

test('an exit recorded at the first try, or other errors, touch nothing', async (t) => {
  const r = await rig(t);
  await r.log(TASK_EXIT, 'time="2026-12-02T00:00:49Z" level=error msg="failed to delete shim" error="close wait error: context deadline exceeded"');
  await settle();
  t.deepEqual(await r.deleted(), []);
  // The watchdog did read those lines: a failed retry after them still counts.
  await r.log(RETRY_FAILED);
  await r.saysSoon('deleted the task');
});

test('each container is handled once, however often its retry fails', async (t) => {
  const r = await rig(t);
  await r.log(RETRY_FAILED, RETRY_FAILED, RETRY_FAILED);
  await r.saysSoon('deleted the task of container 3144ef043d6e');
  await r.log(RETRY_FAILED.replaceAll(ID, OTHER), RETRY_FAILED);
  await r.saysSoon('deleted the task of container 9e499a2b260e');
  await settle();
  t.deepEqual(await r.deleted(), [ID, OTHER]);
});

test('a frozen cgroup, left by a kill cut off before its thaw, is thawed and the task deleted', async (t) => {
  const r = await rig(t);
  await writeFile(r.freezer, 'FROZEN\n');
  await r.log(RETRY_FAILED);
  await r.saysSoon('deleted the task');
  t.regex(r.said(), /container 3144ef043d6e's cgroup is frozen \(a kill cut off before its thaw\); thawing it/);
  t.is((await readFile(r.freezer, 'utf8')).trim(), 'THAWED');
  t.deepEqual(await r.deleted(), [ID, ID]);
});

test('a task already gone, or one ctr cannot delete, is said so, and the next container is still handled', async (t) => {
  const gone = await rig(t, { exit: 1, says: `ctr: task ${ID}: not found` });
  await gone.log(RETRY_FAILED);
  await gone.saysSoon('container 3144ef043d6e has no task left');
  const failing = await rig(t, { exit: 1, says: 'ctr: failed to delete task: ttrpc: closed' });
  await failing.log(RETRY_FAILED, RETRY_FAILED.replaceAll(ID, OTHER));
  await failing.saysSoon('ctr could not delete the task of container 3144ef043d6e: ctr: failed to delete task: ttrpc: closed');
  await failing.saysSoon('ctr could not delete the task of container 9e499a2b260e');
  t.notRegex(gone.said() + failing.said(), /deleted the task/);
  t.deepEqual(await failing.deleted(), [ID, OTHER]);
});
