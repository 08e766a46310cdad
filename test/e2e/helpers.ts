import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { ExecutionContext } from 'ava';
import { selfCommand } from '../../src/lab/self.js';
import { findLabObjects, isEmpty } from '../../src/lab/down.js';
import { takingTurns } from '../support/taking-turns.js';

/** Runs the metal-lab CLI from sources, as a user would run it. */
export function cli(args: string[], opts: { reject?: boolean } = {}): ResultPromise {
  const self = selfCommand();
  return execa(self.file, [...self.args, ...args], { reject: opts.reject ?? false, all: true, env: { CI: '1' } });
}

/**
 * `metal-lab run ARGS...` for a test. A test that times out is torn down while its run goes on:
 * the run is then interrupted as Ctrl-C would, so it collects its artifacts (journals, consoles)
 * before ownLab's teardown, registered earlier and so run later, removes the lab under it.
 */
export function runInTest(t: ExecutionContext, args: string[]): ResultPromise {
  const run = cli(['run', ...args]);
  t.teardown(async () => {
    if (run.exitCode !== null) return;
    run.kill('SIGINT');
    await run;
  });
  return run;
}

export async function assertNothingLeft(t: ExecutionContext, id: string): Promise<void> {
  const left = await findLabObjects(id);
  t.true(isEmpty(left), `lab ${id} left behind: ${JSON.stringify(left)}`);
}

/** A dir for a run's artifacts: removed when the test passes, kept (and its path logged) when it fails. */
export async function artifactsDir(t: ExecutionContext, prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.teardown(async () => {
    if (t.passed) await fs.rm(dir, { recursive: true, force: true });
    else console.error(`${t.title}: artifacts kept in ${dir}`);
  });
  return dir;
}

/** A lab the test owns: whatever a previous run left of it is removed first, and it is removed again at the end, pass or fail. */
export async function ownLab(t: ExecutionContext, id: string): Promise<void> {
  await cli(['down', id]);
  t.teardown(async () => {
    await cli(['down', id]);
  });
}

/** ownLab, and the lab's snapshots too: purged before the test and after it, pass or fail. */
export async function ownLabAndSnapshots(t: ExecutionContext, id: string): Promise<void> {
  await ownLab(t, id);
  t.teardown(async () => {
    await cli(['down', id, '--purge']);
  });
  await cli(['down', id, '--purge']);
}

/** A run's timeline.json, as far as the tests read it. */
export interface Timeline {
  ok: boolean;
  events: Array<{ kind: string; step: string; node?: string; message?: string }>;
}

export async function readTimeline(artifacts: string): Promise<Timeline> {
  return JSON.parse(await fs.readFile(path.join(artifacts, 'timeline.json'), 'utf8')) as Timeline;
}

/**
 * A scenario run the way the nightly tests run one: on the lab the test owns, taking turns with
 * every other VM test, its artifacts kept only if it fails. Asserts that it passed; resolves with
 * the run and its timeline.
 */
export async function runOwnScenario(t: ExecutionContext, scenario: string, lab: string): Promise<{ run: Awaited<ResultPromise>; timeline: Timeline }> {
  const dir = await artifactsDir(t, `metal-lab-e2e-${scenario}-`);
  await ownLab(t, lab);
  const run = await takingTurns(() => runInTest(t, [scenario, '--artifacts', dir, '--json']));
  t.is(run.exitCode, 0);
  const timeline = await readTimeline(dir);
  t.true(timeline.ok);
  return { run, timeline };
}
