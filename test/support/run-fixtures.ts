import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TimelineDoc } from '../../src/report/timeline.js';
import { tempDir } from './temp-dir.js';

/**
 * Artifacts dirs of real runs on this host, trimmed: `etcd-install-timeout` (three nodes that
 * never reached "installed", with evidence) and `update-interrupted` (a rollout stopped by
 * Ctrl-C after one node's update reboot, with rollout-timeline.txt).
 */
export type RunFixture = 'etcd-install-timeout' | 'update-interrupted';

export const runFixtureDir = (name: RunFixture) => fileURLToPath(new URL(`../fixtures/runs/${name}`, import.meta.url));

export async function runFixtureTimeline(name: RunFixture): Promise<TimelineDoc> {
  return JSON.parse(await fs.readFile(path.join(runFixtureDir(name), 'timeline.json'), 'utf8')) as TimelineDoc;
}

/** A copy of a fixture run in a temp dir, for tests that write report.html into it. */
export async function runFixtureCopy(t: { teardown(fn: () => Promise<void>): void }, name: RunFixture): Promise<string> {
  const dir = path.join(await tempDir(t, 'metal-lab-run-'), name);
  await fs.cp(runFixtureDir(name), dir, { recursive: true });
  return dir;
}
