import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { alive } from '../../../src/ground/processes.js';
import { runLogged } from '../../../src/toolkit/logged-command.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { tempDir } from '../../support/temp-dir.js';

// A real process group: sh and sleep (Debian essentials), a child that outlives its shell.
test('aborting runLogged stops its whole process group and rejects with the reason', async (t) => {
  const dir = await tempDir(t, 'logged-');
  const ctl = new AbortController();
  const pidFile = path.join(dir, 'child.pid');
  // A shell whose child would outlive it if only the shell were killed.
  const run = runLogged(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo started; wait`], {
    logFile: path.join(dir, 'log'),
    processGroup: true,
    signal: ctl.signal,
    onLine: (l) => l === 'started' && ctl.abort(new Error('stop')),
  });
  await t.throwsAsync(run, { message: 'stop' });
  const child = Number(await readFile(pidFile, 'utf8'));
  // The signal lands on the group at once; on a loaded machine the sleep may take a while to go.
  const stopped = async () => !alive(child) || pending(`pid ${child} still runs`);
  await t.notThrowsAsync(waitFor('the sleep in the group to stop', stopped, { deadline: Date.now() + 10_000, intervalMs: 20 }), 'the sleep in the group was stopped too');
});
