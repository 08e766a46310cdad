import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { writeHtmlReport } from '../../../src/html-report/write-report.js';
import type { TimelineDoc } from '../../../src/report/timeline.js';
import { needs, program } from '../../support/needs.js';
import { runFixtureCopy, type RunFixture } from '../../support/run-fixtures.js';

// Debian's chromium, driven headless: the report as a person opens it, from a file:// URL. One
// page at a time (test.serial): on a loaded 2-core host, pages rendering at once stall each other.
const test = needs(program('chromium', 'chromium'));

/** Kept after the test (artifacts/ is git-ignored; the nightly workflow uploads it). */
const SCREENSHOTS = fileURLToPath(new URL('../../../artifacts/test/report-browser/', import.meta.url));

let browser: Browser;
test.before(async () => {
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Root has no user namespace sandbox to drop into.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    // Generous: beside a VM lab on 2 cores, a screenshot taken while other pages rendered waited over 2 minutes.
    protocolTimeout: 600_000,
  });
});
test.after.always(async () => {
  await browser?.close();
});

/** What the timeline JSON says the lanes hold: per node (the lab's lane for none), its steps and results in start order. */
function expectedLanes(doc: TimelineDoc): Map<string, string[]> {
  const lanes = new Map<string, string[]>();
  const open = new Map<string, number>();
  const add = (lane: string, text: string) => {
    lanes.set(lane, [...(lanes.get(lane) ?? []), text]);
    return lanes.get(lane)!.length - 1;
  };
  for (const e of doc.events) {
    const lane = e.node ?? 'lab';
    const key = `${e.step}|${lane}`;
    if (e.kind === 'step-start') open.set(key, add(lane, `${e.step}: unfinished`));
    else if (e.kind.startsWith('step-')) {
      const outcome = e.kind.slice('step-'.length);
      const at = open.get(key);
      open.delete(key);
      if (at === undefined) add(lane, `${e.step}: ${outcome}`);
      else lanes.get(lane)![at] = `${e.step}: ${outcome}`;
    }
  }
  return lanes;
}

async function openReport(t: { teardown(fn: () => Promise<void>): void }, fixture: RunFixture) {
  const dir = await runFixtureCopy(t, fixture);
  const url = pathToFileURL(await writeHtmlReport(dir)).href;
  const page = await browser.newPage();
  t.teardown(() => page.close());
  await page.setViewport({ width: 1400, height: 900 });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'networkidle0' });
  const doc = JSON.parse(await fs.readFile(path.join(dir, 'timeline.json'), 'utf8')) as TimelineDoc;
  return { page, url, doc, problems, requests };
}

for (const fixture of ['etcd-install-timeout', 'update-interrupted'] as const) {
  test.serial(`${fixture}: the report loads with no console error and no request but itself; its lanes are the timeline's`, async (t) => {
    const { page, url, doc, problems, requests } = await openReport(t, fixture);
    t.deepEqual(problems, []);
    t.deepEqual(requests, [url], 'nothing fetched: no CDN, no network, not even a favicon');

    const drawn = await page.$$eval('svg.timeline g.lane', (lanes) =>
      lanes.map((lane) => ({
        lane: lane.getAttribute('data-lane')!,
        steps: [...lane.querySelectorAll('g.bar.step')].map((b) => `${b.getAttribute('data-label')}: ${b.getAttribute('data-outcome')}`),
        nodes: [...new Set([...lane.querySelectorAll('g.bar')].map((b) => b.getAttribute('data-node') ?? 'lab'))],
      })),
    );
    const expected = expectedLanes(doc);
    t.deepEqual(drawn.map((l) => l.lane).sort(), [...expected.keys()].sort());
    for (const lane of drawn) {
      t.deepEqual(lane.nodes, [lane.lane], `lane ${lane.lane} holds only its own bars`);
      t.deepEqual([...lane.steps].sort(), [...expected.get(lane.lane)!].sort(), `lane ${lane.lane}`);
    }

    // The first screen (header, timeline, first failure) to read at its size, and the whole page.
    await fs.mkdir(SCREENSHOTS, { recursive: true });
    const shots = [path.join(SCREENSHOTS, `${fixture}.png`), path.join(SCREENSHOTS, `${fixture}-full.png`)];
    await page.screenshot({ path: shots[0] });
    await page.screenshot({ path: shots[1], fullPage: true });
    t.log(`screenshots: ${shots.join(', ')}`);
  });
}

test.serial('a failed step is drawn red, and clicking it shows its evidence', async (t) => {
  const { page } = await openReport(t, 'etcd-install-timeout');
  const bar = 'g.bar.step.fail[data-node="node2"]';
  // The page's window, reached from an element: the test's types know no DOM globals.
  const fill = (selector: string) => page.$eval(selector, (r) => r.ownerDocument.defaultView!.getComputedStyle(r).fill);
  t.is(await fill(`${bar} rect`), 'rgb(198, 40, 40)');
  t.is(await fill('g.bar.step.ok rect'), 'rgb(46, 125, 50)');
  await page.click(bar);
  t.is(new URL(page.url()).hash, '#fail-12');
  const evidence = await page.$eval('#fail-12', (s) => ({
    // Scrolled to the anchor: its top at the viewport's, give or take a subpixel.
    visible: Math.round(s.getBoundingClientRect().top) === 0,
    links: [...s.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    text: s.textContent ?? '',
  }));
  t.true(evidence.visible, 'the browser scrolled to the evidence');
  t.deepEqual(evidence.links, ['#check-12', 'console/node2.log', 'journal/node2.log', 'console/node2.log', 'matchbox-requests.jsonl']);
  t.regex(evidence.text, /timed out after 720s waiting for node2 to reach installed/);
  t.regex(evidence.text, /GET \/ignition/);
});
