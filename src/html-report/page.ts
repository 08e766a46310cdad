import type { RequestLogEntry } from '../matchbox/types.js';
import { formatDuration } from '../report/progress.js';
import type { StepResult, TimelineDoc } from '../report/timeline.js';
import { esc, fileHref } from './escape.js';
import type { EvidenceItem } from './evidence.js';
import type { Lane } from './lanes.js';
import { OUTCOME_WORD, SYMBOL, timelineSvg } from './timeline-svg.js';

/** A failed (or never finished) step and what explains it. */
export interface Failure {
  check: number;
  result: StepResult;
  evidence: EvidenceItem[];
  /** The node's console log and its last lines. */
  console?: { file: string; lines: string[] };
  /** The request log and the node's last requests to the boot server. */
  requests?: { file: string; entries: RequestLogEntry[] };
  /** The node's journal, when the run read it. */
  journal?: string;
}

export interface ArtifactFile {
  /** Relative to the artifacts dir, `/`-separated. */
  path: string;
  bytes: number;
}

/** Everything the page shows, read from one run's artifacts dir. */
export interface ReportModel {
  doc: TimelineDoc;
  results: StepResult[];
  lanes: Lane[];
  totalMs: number;
  failures: Failure[];
  files: ArtifactFile[];
  /** Artifacts that could not be read: said on the page rather than failing it. */
  problems: string[];
}

const STYLE = `
:root { --ok: #2e7d32; --fail: #c62828; --skip: #9e9e9e; --unfinished: #ef8f00; --ink: #1d2330; --muted: #5f6b7a; --line: #dde3ea;
  --pxe: #5c6bc0; --install: #1e88e5; --first-boot: #00897b; --ignition: #8e24aa; --reboot: #6d4c41; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 "DejaVu Sans", system-ui, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; gap: 12px; align-items: center; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 6px; }
a { color: #1a5fb4; }
.verdict { font-size: 13px; font-weight: bold; color: #fff; padding: 3px 10px; border-radius: 12px; letter-spacing: .05em; }
.verdict.passed { background: var(--ok); } .verdict.failed { background: var(--fail); }
.meta { color: var(--muted); margin: 0; }
.meta a { margin-right: 10px; }
.problems, .warnings { margin: 12px 0 0; padding: 8px 12px 8px 28px; background: #fff6e5; border-left: 4px solid var(--unfinished); }
figure { margin: 0; overflow-x: auto; }
svg.timeline { width: 100%; min-width: 900px; height: auto; font: 11px "DejaVu Sans", sans-serif; }
svg .lane-bg.even { fill: #f7f9fb; } svg .lane-bg.odd { fill: #eef2f6; }
svg .grid { stroke: #c9d2dc; stroke-width: 1; stroke-dasharray: 2 3; }
svg .tick { fill: var(--muted); text-anchor: middle; }
svg .lane-name { font-weight: bold; font-size: 12px; fill: var(--ink); }
svg .bar rect { stroke: rgba(0,0,0,.25); stroke-width: .5; }
svg .bar text.in { fill: #fff; } svg .bar text.out { fill: var(--ink); }
svg .step.ok rect { fill: var(--ok); } svg .step.fail rect { fill: var(--fail); }
svg .step.skip rect { fill: var(--skip); } svg .step.unfinished rect { fill: var(--unfinished); }
svg .phase rect { fill: var(--pxe); } svg .phase-install rect { fill: var(--install); }
svg .phase-first-boot rect { fill: var(--first-boot); } svg .phase-ignition rect { fill: var(--ignition); }
svg .reboot rect { fill: var(--reboot); }
svg .phase.unfinished rect, svg .reboot.unfinished rect { fill-opacity: .55; stroke: var(--unfinished); stroke-width: 1.5; stroke-dasharray: 4 2; }
svg a .bar:hover rect { stroke: #000; stroke-width: 1.5; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 0; padding: 0; list-style: none; color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: normal; text-transform: uppercase; letter-spacing: .04em; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.msg { word-break: break-word; }
td.name, td.result { white-space: nowrap; }
tr.fail td.result { color: var(--fail); font-weight: bold; } tr.unfinished td.result { color: var(--unfinished); font-weight: bold; }
tr.ok td.result { color: var(--ok); } tr.skip td.result { color: var(--skip); }
tr:target { background: #fff3c4; }
.failure { border: 1px solid #f1c0c0; border-left: 5px solid var(--fail); border-radius: 4px; padding: 12px 16px; margin: 0 0 16px; background: #fffafa; }
.failure:target { box-shadow: 0 0 0 3px #f6d26b; }
pre { margin: 6px 0; padding: 8px 10px; background: #1d2330; color: #e8ecf1; border-radius: 4px; font: 12px/1.4 "DejaVu Sans Mono", monospace; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
pre.message { background: #fbeaea; color: #5a1010; }
/* A console tail scrolls within its box, opened at its last line: column-reverse starts a scroller at its end. */
pre.tail { max-height: 22em; display: flex; flex-direction: column-reverse; }
.evidence { margin: 6px 0; padding-left: 20px; }
details summary { cursor: pointer; color: var(--muted); }
`;

const LEGEND: ReadonlyArray<[string, string]> = [
  ['var(--ok)', 'step ok'],
  ['var(--fail)', 'step failed'],
  ['var(--skip)', 'skipped'],
  ['var(--unfinished)', 'never finished'],
  ['var(--pxe)', 'PXE'],
  ['var(--install)', 'install'],
  ['var(--first-boot)', 'first boot'],
  ['var(--ignition)', 'Ignition'],
  ['var(--reboot)', 'update reboot'],
];

const at = (ms: number) => `+${formatDuration(ms)}`;
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const [value, unit] = bytes < 1e6 ? [bytes / 1e3, 'kB'] : [bytes / 1e6, 'MB'];
  return `${value.toFixed(1)} ${unit}`;
}

const fileLink = (file: string, text = file) => `<a href="${fileHref(file)}">${esc(text)}</a>`;
const stepName = (r: StepResult) => `${r.node ? `${r.node} · ` : ''}${r.step}`;

function header(m: ReportModel): string {
  const { doc, results } = m;
  const count = (o: StepResult['outcome']) => results.filter((r) => r.outcome === o).length;
  const counts = [`${count('ok')} ok`, `${count('fail')} failed`, `${count('skip')} skipped`, ...(count('unfinished') ? [`${count('unfinished')} unfinished`] : [])];
  const nodes = m.lanes.filter((l) => l.node).length;
  const own = ['junit.xml', 'timeline.json'].filter((f) => m.files.some((a) => a.path === f));
  const warnings = doc.events.filter((e) => e.kind === 'warn');
  return [
    `<h1>${esc(doc.scenario)} on ${esc(doc.lab)} <span class="verdict ${doc.ok ? 'passed' : 'failed'}">${doc.ok ? 'PASSED' : 'FAILED'}</span></h1>`,
    `<p class="meta">started ${esc(utc(doc.startedAt))} · ran ${formatDuration(m.totalMs)}${doc.finishedAt ? '' : ' (never finished)'} · ${nodes} nodes · ${results.length} checks: ${counts.join(', ')}</p>`,
    `<p class="meta">${own.map((f) => fileLink(f)).join('')}</p>`,
    m.problems.length ? `<ul class="problems">${m.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '',
    warnings.length ? `<ul class="warnings">${warnings.map((e) => `<li>${at(e.ms)} ${esc(e.message ?? e.step)}</li>`).join('')}</ul>` : '',
  ].join('\n');
}

function timeline(m: ReportModel): string {
  const legend = LEGEND.map(([color, text]) => `<li><i style="background:${color}"></i>${text}</li>`).join('');
  return `<h2>Timeline</h2>\n<figure>${timelineSvg(m.lanes, m.totalMs)}</figure>\n<ul class="legend">${legend}<li>hover a bar for its times and message; click a step for its check or evidence</li></ul>`;
}

function requestRows(entries: readonly RequestLogEntry[]): string {
  const rows = entries.map((e) => {
    const query = e.query ? `?${e.query}` : '';
    const chosen = [e.group && `group ${e.group}`, e.profile && `profile ${e.profile}`, e.error].filter(Boolean).join(', ');
    return `<tr><td class="num">${esc(e.time.slice(11, 23))}</td><td>${esc(e.client)}</td><td class="msg">${esc(`${e.method} ${e.path}${query}`)}</td><td class="num">${e.status}</td><td>${esc(chosen)}</td></tr>`;
  });
  return `<table><tr><th>time (UTC)</th><th>client</th><th>request</th><th>status</th><th>answered from</th></tr>${rows.join('')}</table>`;
}

function failure(f: Failure): string {
  const r = f.result;
  const message = r.outcome === 'unfinished' ? 'step never finished: the run ended while it ran' : (r.message ?? 'failed');
  const evidence = f.evidence.map((e) => `<li>${e.file ? `${fileLink(e.file)} <small>(${esc(e.text)})</small>` : esc(e.text)}</li>`);
  if (f.journal) evidence.push(`<li>${fileLink(f.journal)} <small>(the node's journal)</small></li>`);
  return [
    `<section class="failure" id="fail-${f.check}">`,
    `<h3>${SYMBOL[r.outcome]} ${esc(stepName(r))} <small>${OUTCOME_WORD[r.outcome]} at ${at(r.endMs)} after ${formatDuration(r.endMs - r.startMs)} · <a href="#check-${f.check}">check #${f.check + 1}</a></small></h3>`,
    `<pre class="message">${esc(message)}</pre>`,
    evidence.length ? `<ul class="evidence">${evidence.join('')}</ul>` : '',
    f.console ? `<p>Last lines of ${fileLink(f.console.file)}:</p><pre class="tail"><span>${esc(f.console.lines.join('\n'))}</span></pre>` : '',
    f.requests ? `<p>${esc(r.node ?? '')}'s last requests in ${fileLink(f.requests.file)}:</p>${requestRows(f.requests.entries)}` : '',
    `</section>`,
  ].join('\n');
}

function checks(m: ReportModel): string {
  const failed = new Set(m.failures.map((f) => f.check));
  const rows = m.results.map((r, i) => {
    const result = `${SYMBOL[r.outcome]} ${OUTCOME_WORD[r.outcome]}${failed.has(i) ? ` · <a href="#fail-${i}">evidence</a>` : ''}`;
    return `<tr id="check-${i}" class="${r.outcome}"><td class="num">${i + 1}</td><td class="name">${esc(r.step)}</td><td class="name">${esc(r.node ?? '')}</td><td class="result">${result}</td><td class="num">${at(r.startMs)}</td><td class="num">${formatDuration(r.endMs - r.startMs)}</td><td class="msg">${esc(r.message ?? '')}</td></tr>`;
  });
  return `<h2>Checks</h2>\n<table class="checks"><tr><th>#</th><th>step</th><th>node</th><th>result</th><th>start</th><th>took</th><th>message</th></tr>\n${rows.join('\n')}\n</table>`;
}

function artifacts(m: ReportModel): string {
  const rows = m.files.map((f) => `<tr><td>${fileLink(f.path)}</td><td class="num">${size(f.bytes)}</td></tr>`);
  return `<h2>Artifacts</h2>\n<table class="artifacts"><tr><th>file</th><th>size</th></tr>\n${rows.join('\n')}\n</table>`;
}

function notes(doc: TimelineDoc): string {
  const events = doc.events.filter((e) => e.kind === 'info' || e.kind === 'warn');
  if (events.length === 0) return '';
  const rows = events.map((e) => `<tr><td class="num">${at(e.ms)}</td><td>${e.kind}</td><td>${esc(e.node ?? '')}</td><td class="msg">${esc(e.message ?? e.step)}</td></tr>`);
  return `<h2>Run notes</h2>\n<details><summary>${events.length} notes the run wrote on the way</summary><table><tr><th>at</th><th>kind</th><th>node</th><th>note</th></tr>\n${rows.join('\n')}\n</table></details>`;
}

/** The whole report as one HTML file: inline CSS and SVG, no script, nothing fetched. */
export function renderPage(m: ReportModel): string {
  const failures = m.failures.length ? `<h2>Failures</h2>\n${m.failures.map(failure).join('\n')}` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(`${m.doc.scenario} on ${m.doc.lab}: ${m.doc.ok ? 'passed' : 'failed'}`)}</title>
<style>${STYLE}</style>
</head>
<body>
${header(m)}
${timeline(m)}
${failures}
${checks(m)}
${artifacts(m)}
${notes(m.doc)}
</body>
</html>
`;
}
