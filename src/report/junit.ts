import { create } from 'xmlbuilder2';
import { stepResults, type StepResult, type TimelineDoc } from './timeline.js';
import { formatDuration } from './progress.js';

type XMLBuilder = ReturnType<typeof create>;

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** JUnit's XSD types timestamps as xs:dateTime without a zone; Jenkins rejects the `Z`. */
const junitTimestamp = (iso: string): string => iso.slice(0, 19);

interface Counts {
  tests: number;
  failures: number;
  skipped: number;
  time: number;
}

function runMs(doc: TimelineDoc): number {
  if (doc.finishedAt) return Date.parse(doc.finishedAt) - Date.parse(doc.startedAt);
  return doc.events.at(-1)?.ms ?? 0;
}

function addCase(suite: XMLBuilder, doc: TimelineDoc, r: StepResult): void {
  const tc = suite.ele('testcase', {
    name: r.node ? `${r.step} [${r.node}]` : r.step,
    classname: `${doc.lab}.${doc.scenario}`,
    time: seconds(r.endMs - r.startMs),
  });
  if (r.outcome === 'skip') {
    tc.ele('skipped', r.message ? { message: r.message } : {});
    return;
  }
  if (r.outcome === 'ok') return;
  const message = r.outcome === 'unfinished' ? 'step never finished' : (r.message ?? 'failed');
  const stack = typeof r.data?.stack === 'string' ? r.data.stack : undefined;
  const body = [message, ...r.evidence.map((p) => `evidence: ${p}`), ...(stack ? ['', stack] : [])].join('\n');
  const type = typeof r.data?.error === 'string' ? r.data.error : 'StepFailed';
  tc.ele('failure', { message: message.split('\n')[0] ?? message, type }).txt(body);
  // The attachment convention read by GitLab and Jenkins' junit-attachments plugin.
  if (r.evidence.length) tc.ele('system-out').txt(r.evidence.map((p) => `[[ATTACHMENT|${p}]]`).join('\n'));
}

/** Run-level notes (info/warn) as the suite's system-out, one line each with its run time. */
function notes(doc: TimelineDoc): string {
  return doc.events
    .filter((e) => e.kind === 'info' || e.kind === 'warn')
    .map((e) => `[${formatDuration(e.ms)}] ${e.kind}: ${e.node ? `${e.node} ` : ''}${e.message ?? e.step}`)
    .join('\n');
}

/** JUnit XML with one testsuite per scenario run and one testcase per (step, node). */
export function toJUnit(docs: readonly TimelineDoc[]): string {
  const root = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' }).ele('testsuites', {
    name: 'metal-lab',
  });
  const total: Counts = { tests: 0, failures: 0, skipped: 0, time: 0 };
  docs.forEach((doc, id) => {
    const results = stepResults(doc.events);
    const counts: Counts = {
      tests: results.length,
      failures: results.filter((r) => r.outcome === 'fail' || r.outcome === 'unfinished').length,
      skipped: results.filter((r) => r.outcome === 'skip').length,
      time: runMs(doc),
    };
    const suite = root.ele('testsuite', {
      name: doc.scenario,
      id: String(id),
      package: doc.lab,
      tests: String(counts.tests),
      failures: String(counts.failures),
      errors: '0',
      skipped: String(counts.skipped),
      time: seconds(counts.time),
      timestamp: junitTimestamp(doc.startedAt),
    });
    suite.ele('properties').ele('property', { name: 'lab', value: doc.lab });
    for (const r of results) addCase(suite, doc, r);
    const text = notes(doc);
    if (text) suite.ele('system-out').txt(text);
    for (const k of ['tests', 'failures', 'skipped', 'time'] as const) total[k] += counts[k];
  });
  root.att({
    tests: String(total.tests),
    failures: String(total.failures),
    errors: '0',
    skipped: String(total.skipped),
    time: seconds(total.time),
  });
  return root.end({ prettyPrint: true });
}
