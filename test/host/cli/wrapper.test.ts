import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { longestSilence } from '../../support/silences.js';
import { tempDir } from '../../support/temp-dir.js';

const repo = path.resolve(import.meta.dirname, '../../..');

test('./metal-lab on a fresh clone compiles before it runs, never silent for more than 10 s', async (t) => {
  // A clone as the user has it: sources, no dist. The npm dependencies are the repo's own, and
  // the copies keep their times so that the lock file does not look newer than them (npm ci).
  const clone = await tempDir(t, 'metal-lab-wrapper-');
  for (const f of ['metal-lab', 'package.json', 'package-lock.json', 'tsconfig.json', 'src']) {
    await fs.cp(path.join(repo, f), path.join(clone, f), { recursive: true, preserveTimestamps: true });
  }
  await fs.symlink(path.join(repo, 'node_modules'), path.join(clone, 'node_modules'));

  const started = Date.now();
  const run = execa(path.join(clone, 'metal-lab'), ['--version'], { reject: false, all: true });
  const silence = longestSilence(run);
  const r = await run;
  const took = Date.now() - started;
  t.log(r.all);
  t.is(r.exitCode, 0);
  t.regex(r.stdout, /^\d+\.\d+\.\d+/);
  t.true(r.stderr.startsWith('metal-lab: compiling metal-lab'), r.stderr);
  await t.notThrowsAsync(fs.access(path.join(clone, 'dist/cli/main.js')));
  t.true(silence() <= 10_000, `silent for ${silence()} ms`);
  // On 2 cores the compile takes its time: then the heartbeat has to speak.
  if (took > 6_000) t.regex(r.stderr, /^metal-lab: still compiling metal-lab \(5s\)$/m, `${took} ms`);
});
