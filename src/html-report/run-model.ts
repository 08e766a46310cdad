import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { Lease } from '../libvirt/network.js';
import { readRequestLog } from '../matchbox/request-log.js';
import type { RequestLogEntry } from '../matchbox/types.js';
import { stepResults, type StepResult, type TimelineDoc } from '../report/timeline.js';
import { bootPhases, requestsByNode } from './boot-phases.js';
import { collectedSources, consoleTail, resolveEvidence } from './evidence.js';
import { lanes, stepBars, type Bar } from './lanes.js';
import type { ArtifactFile, Failure, ReportModel } from './page.js';
import { updateReboots } from './update-reboots.js';

export const REPORT_FILE = 'report.html';
const REQUEST_LOG = 'matchbox-requests.jsonl';
const CONSOLE_LINES = 40;
const LAST_REQUESTS = 8;

const NOT_A_RUN_FIX = 'pass the dir a run wrote its artifacts to (`metal-lab run --artifacts DIR`; by default artifacts/<scenario>-<lab>-<time>)';

function isTimeline(doc: unknown): doc is TimelineDoc {
  const d = doc as Partial<TimelineDoc> | null;
  return typeof d?.lab === 'string' && typeof d.scenario === 'string' && typeof d.startedAt === 'string' && Array.isArray(d.events);
}

async function readTimeline(dir: string): Promise<TimelineDoc> {
  const file = path.join(dir, 'timeline.json');
  const text = await fs.readFile(file, 'utf8').catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    const isDir = await fs.stat(dir).then((s) => s.isDirectory(), () => false);
    throw new LabError(isDir ? `${dir} has no timeline.json, so it holds no run to report` : `${dir} does not exist`, NOT_A_RUN_FIX, 2);
  });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new LabError(`${file} is not JSON (${(err as Error).message})`, NOT_A_RUN_FIX, 2);
  }
  if (!isTimeline(doc)) throw new LabError(`${file} is not a run's timeline: it lacks lab, scenario, startedAt or events`, NOT_A_RUN_FIX, 2);
  return doc;
}

/** Every file under the dir but the report itself, sorted, with `/` separators. */
async function artifactFiles(dir: string): Promise<ArtifactFile[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const full = path.join(e.parentPath, e.name);
        return { path: path.relative(dir, full).split(path.sep).join('/'), bytes: (await fs.stat(full)).size };
      }),
  );
  return files.filter((f) => f.path !== REPORT_FILE).sort((a, b) => a.path.localeCompare(b.path));
}

/** A best-effort read: a file that is there but unreadable becomes a line on the page, not a failed report. */
async function optional<T>(what: string, read: () => Promise<T>, fallback: T, problems: string[]): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${what}: ${(err as Error).message}`);
    return fallback;
  }
}

async function failureOf(dir: string, check: number, r: StepResult, ctx: { files: Set<string>; byNode: Map<string, RequestLogEntry[]>; doc: TimelineDoc }): Promise<Failure> {
  const failure: Failure = { check, result: r, evidence: resolveEvidence(r.evidence, dir, [...ctx.files], collectedSources(ctx.doc.events)) };
  if (!r.node) return failure;
  const consoleLog = `console/${r.node}.log`;
  if (ctx.files.has(consoleLog)) {
    const text = await fs.readFile(path.join(dir, consoleLog), 'utf8').catch(() => '');
    failure.console = { file: consoleLog, lines: consoleTail(text, CONSOLE_LINES) };
  }
  const requests = ctx.byNode.get(r.node) ?? [];
  if (ctx.files.has(REQUEST_LOG) && requests.length) failure.requests = { file: REQUEST_LOG, entries: requests.slice(-LAST_REQUESTS) };
  const journal = `journal/${r.node}.log`;
  if (ctx.files.has(journal)) failure.journal = journal;
  return failure;
}

/**
 * Reads one run's artifacts dir into what its report shows: the timeline's steps, each node's
 * boot phases from the request log, update reboots from the rollout timeline, and for every
 * failed step its evidence. A dir without a readable timeline.json is bad input (exit 2).
 */
export async function readRunModel(artifactsDir: string): Promise<ReportModel> {
  const dir = path.resolve(artifactsDir);
  const doc = await readTimeline(dir);
  const files = await artifactFiles(dir);
  const have = new Set(files.map((f) => f.path));
  const problems: string[] = [];
  const runStart = Date.parse(doc.startedAt);
  const requests = await optional(REQUEST_LOG, () => readRequestLog(path.join(dir, REQUEST_LOG)), [], problems);
  const leases = await optional('leases.json', async () => JSON.parse(await fs.readFile(path.join(dir, 'leases.json'), 'utf8')) as Lease[], [], problems);
  const rollout = await optional('rollout-timeline.txt', () => fs.readFile(path.join(dir, 'rollout-timeline.txt'), 'utf8'), '', problems);
  const byNode = requestsByNode(requests, leases);

  const results = stepResults(doc.events);
  const endMs = Math.max(doc.finishedAt ? Date.parse(doc.finishedAt) - runStart : 0, doc.events.at(-1)?.ms ?? 0);
  const bars: Bar[] = [
    ...stepBars(results),
    ...[...byNode].flatMap(([node, entries]) => bootPhases(node, entries, runStart, endMs)),
    ...updateReboots(rollout, runStart),
  ];
  const totalMs = Math.max(endMs, ...bars.map((b) => b.endMs));
  const failures = await Promise.all(
    results.flatMap((r, check) => (r.outcome === 'fail' || r.outcome === 'unfinished' ? [failureOf(dir, check, r, { files: have, byNode, doc })] : [])),
  );
  return { doc, results, lanes: lanes(bars), totalMs, failures, files, problems };
}
