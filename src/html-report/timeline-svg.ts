import { formatDuration } from '../report/progress.js';
import type { StepOutcome } from '../report/timeline.js';
import { esc } from './escape.js';
import type { Bar, Lane } from './lanes.js';

const WIDTH = 1200;
const PLOT_X = 110;
const PLOT_W = WIDTH - PLOT_X - 16;
const AXIS_H = 24;
const ROW_H = 20;
const BAR_H = 14;
const LANE_PAD = 5;
/** The average glyph width of the 11px labels: whether a label fits in or beside its bar. */
const CHAR_W = 6.4;
const MIN_BAR_W = 2;

export const SYMBOL: Record<StepOutcome, string> = { ok: '✔', fail: '✖', skip: '↓', unfinished: '…' };
export const OUTCOME_WORD: Record<StepOutcome, string> = { ok: 'ok', fail: 'failed', skip: 'skipped', unfinished: 'unfinished' };

const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);

/** The smallest round step that puts at most 12 ticks on the axis. */
export function tickStep(totalMs: number): number {
  return TICK_STEPS.find((step) => totalMs / step <= 12) ?? Math.ceil(totalMs / 12 / 3_600_000) * 3_600_000;
}

/** 0, 45s, 5m, 1m30s, 2h, 1h15m: run time at a tick. */
export function tickLabel(ms: number): string {
  const s = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (s === 0) return '0';
  return [h && `${h}h`, m && `${m}m`, sec && `${sec}s`].filter(Boolean).join('');
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function barText(bar: Bar): string {
  const took = formatDuration(bar.endMs - bar.startMs);
  if (bar.kind !== 'step') return `${bar.label} ${took}`;
  return bar.outcome === 'skip' ? `${SYMBOL.skip} ${bar.label} skipped` : `${SYMBOL[bar.outcome]} ${bar.label} ${took}`;
}

function tooltip(bar: Bar): string {
  const word = bar.kind === 'step' ? OUTCOME_WORD[bar.outcome] : bar.outcome === 'ok' ? 'done' : 'unfinished';
  const span = `+${formatDuration(bar.startMs)} → +${formatDuration(bar.endMs)} (${formatDuration(bar.endMs - bar.startMs)})`;
  return `${bar.node ? `${bar.node} · ` : ''}${bar.label}: ${word}, ${span}${bar.detail ? `\n${bar.detail}` : ''}`;
}

/** A failed step links to its evidence, any other step to its row in the checks table. */
export function barHref(bar: Bar): string | undefined {
  if (bar.check === undefined) return undefined;
  return bar.outcome === 'fail' || bar.outcome === 'unfinished' ? `#fail-${bar.check}` : `#check-${bar.check}`;
}

function drawBar(bar: Bar, x: (ms: number) => number, y: number, roomUntil: number): string {
  const left = x(bar.startMs);
  const width = Math.max(MIN_BAR_W, x(bar.endMs) - left);
  const text = barText(bar);
  const textW = text.length * CHAR_W + 8;
  const label =
    textW <= width
      ? `<text class="in" x="${(left + 4).toFixed(1)}" y="${y + BAR_H - 3}">${esc(text)}</text>`
      : textW <= roomUntil - (left + width)
        ? `<text class="out" x="${(left + width + 3).toFixed(1)}" y="${y + BAR_H - 3}">${esc(text)}</text>`
        : '';
  const cls = ['bar', bar.kind, bar.outcome, ...(bar.kind === 'phase' ? [`phase-${slug(bar.label)}`] : [])].join(' ');
  const attrs = [
    `class="${cls}"`,
    `data-kind="${bar.kind}"`,
    `data-label="${esc(bar.label)}"`,
    ...(bar.node ? [`data-node="${esc(bar.node)}"`] : []),
    `data-outcome="${bar.outcome}"`,
    `data-start-ms="${bar.startMs}"`,
    `data-end-ms="${bar.endMs}"`,
  ].join(' ');
  const body = `<g ${attrs}><title>${esc(tooltip(bar))}</title><rect x="${left.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAR_H}" rx="2"/>${label}</g>`;
  const href = barHref(bar);
  return href ? `<a href="${href}">${body}</a>` : body;
}

/** The run as an SVG Gantt chart: a time axis over one lane per node (and the lab's), each with rows of bars. */
export function timelineSvg(laneList: readonly Lane[], totalMs: number): string {
  const span = Math.max(totalMs, 1);
  const x = (ms: number) => PLOT_X + (Math.min(Math.max(ms, 0), span) / span) * PLOT_W;
  const backgrounds: string[] = [];
  const parts: string[] = [];
  let y = AXIS_H;
  laneList.forEach((lane, i) => {
    const height = lane.rows.length * ROW_H + 2 * LANE_PAD;
    const bars = lane.rows.flatMap((row, r) =>
      row.map((bar, k) => drawBar(bar, x, y + LANE_PAD + r * ROW_H + (ROW_H - BAR_H) / 2, row[k + 1] ? x(row[k + 1]!.startMs) : WIDTH)),
    );
    backgrounds.push(`<rect class="lane-bg ${i % 2 ? 'odd' : 'even'}" x="0" y="${y}" width="${WIDTH}" height="${height}"/>`);
    parts.push(`<g class="lane" data-lane="${esc(lane.name)}"><text class="lane-name" x="8" y="${y + LANE_PAD + ROW_H / 2 + 4}">${esc(lane.name)}</text>${bars.join('')}</g>`);
    y += height;
  });
  const step = tickStep(span);
  const ticks: string[] = [];
  for (let ms = 0; ms <= span; ms += step) {
    const tx = x(ms).toFixed(1);
    ticks.push(`<line class="grid" x1="${tx}" y1="${AXIS_H - 4}" x2="${tx}" y2="${y}"/><text class="tick" x="${tx}" y="${AXIS_H - 8}">${tickLabel(ms)}</text>`);
  }
  const label = `timeline of the run over ${formatDuration(span)}: ${laneList.map((l) => l.name).join(', ')}`;
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${y + 4}" width="${WIDTH}" height="${y + 4}" role="img" aria-label="${esc(label)}">${backgrounds.join('')}<g class="axis">${ticks.join('')}</g>${parts.join('')}</svg>`;
}
