import test from 'ava';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../../src/errors.js';
import { collectArtifacts } from '../../../src/report/artifacts.js';
import { writeHtmlReport } from '../../../src/html-report/write-report.js';
import { RunReport } from '../../../src/report/run-report.js';
import type { TimelineDoc } from '../../../src/report/timeline.js';
import { tempDir } from '../../support/temp-dir.js';
import { CaptureStream } from './capture.js';

test('a run with concurrent node steps, a failure and a skip ends in timeline.json, junit.xml, report.html and a summary', async (t) => {
  const dir = await tempDir(t, 'run-report-');
  const lab = path.join(dir, 'lab');
  await mkdir(path.join(lab, 'console'), { recursive: true });
  await writeFile(path.join(lab, 'console', 'node2.log'), 'iPXE 1.21.1\nNo configuration methods succeeded\n');
  const out = new CaptureStream();
  const artifacts = path.join(dir, 'artifacts');
  const report = new RunReport({ artifactsDir: artifacts, lab: 'mini', scenario: 'pxe-boot', plain: true, stream: out, htmlReport: writeHtmlReport });

  const port = await report.step('boot server up', undefined, async () => 8080);
  t.is(port, 8080, 'step() returns what the step returned');
  report.info('accelerator: tcg (no vmx/svm flag)');

  const lease = (node: string, ms: number, ip?: string) =>
    report.step('dhcp lease', node, async (s) => {
      s.attach(path.join(lab, 'console', `${node}.log`));
      await sleep(ms);
      if (!ip) throw new LabError(`${node} got no DHCP lease within 300s`, 'check the console log for PXE errors');
      s.ok(ip);
    });
  const settled = await Promise.allSettled([lease('node1', 50, '172.19.0.21'), lease('node2', 10)]);
  t.is(settled[0].status, 'fulfilled');
  t.is(settled[1].status, 'rejected', 'step() rethrows the failure');
  report.skip('install', 'node2', 'no lease');
  t.false(report.ok);

  const collected = await report.collect([
    { src: path.join(lab, 'console', 'node2.log'), name: 'console/node2.log' },
    { src: path.join(lab, 'leases'), name: 'leases' },
  ]);
  t.deepEqual(collected.copied, [path.join(artifacts, 'console', 'node2.log')]);
  t.deepEqual(collected.missing.map((m) => [m.name, m.reason]), [['leases', 'not found']]);

  const result = await report.finish();
  t.deepEqual(result, { ok: false, timeline: path.join(artifacts, 'timeline.json'), junit: path.join(artifacts, 'junit.xml'), html: path.join(artifacts, 'report.html') });
  t.is(await report.finish(), result, 'finish() runs once');

  const doc = JSON.parse(await readFile(result.timeline!, 'utf8')) as TimelineDoc;
  t.false(doc.ok);
  t.deepEqual(
    doc.events.map((e) => `${e.kind} ${e.step}${e.node ? ` ${e.node}` : ''}`),
    [
      'step-start boot server up',
      'step-ok boot server up',
      'info run',
      'step-start dhcp lease node1',
      'step-start dhcp lease node2',
      'step-fail dhcp lease node2',
      'step-ok dhcp lease node1',
      'step-skip install node2',
      'warn run',
      'info run',
    ],
  );
  const fail = doc.events.find((e) => e.kind === 'step-fail')!;
  t.is(fail.message, 'node2 got no DHCP lease within 300s. Fix: check the console log for PXE errors');
  t.deepEqual(fail.evidence, [path.join(lab, 'console', 'node2.log')]);
  t.deepEqual(fail.data, { error: 'LabError' });
  t.is(await readFile(path.join(artifacts, 'console', 'node2.log'), 'utf8'), 'iPXE 1.21.1\nNo configuration methods succeeded\n');

  const xml = await readFile(result.junit!, 'utf8');
  t.true(XMLValidator.validate(xml) === true);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites.testsuite;
  t.like(suite, { name: 'pxe-boot', tests: '4', failures: '1', skipped: '1' });

  // The failure's evidence (the lab's console log) links to the copy the run collected.
  const html = await readFile(result.html!, 'utf8');
  t.regex(html, /<section class="failure" id="fail-2">[^]*<a href="console\/node2\.log">console\/node2\.log<\/a>[^]*No configuration methods succeeded/);

  const lines = out.lines();
  t.true(lines.some((l) => /^✔ node1  dhcp lease 172\.19\.0\.21 \(\d+ms\)$/.test(l)), lines.join('\n'));
  const failLine = lines.find((l) => l.startsWith('✖ node2  dhcp lease failed'));
  t.truthy(failLine, lines.join('\n'));
  t.true(failLine!.endsWith(`; evidence: ${path.join(lab, 'console', 'node2.log')}`), 'the failed line points at its evidence');
  t.true(lines.includes('↓ node2  install skipped: no lease'));
  t.true(lines.includes('ℹ accelerator: tcg (no vmx/svm flag)'));
  t.regex(lines.at(-1)!, new RegExp(`^✖ pxe-boot on mini failed: 1 of 4 steps \\(node2 dhcp lease\\) in \\d+ms; artifacts: ${artifacts}$`));
});

test('a passing run is ok; steps still open at finish fail; a finished report refuses new events', async (t) => {
  const dir = await tempDir(t, 'run-report-');
  const out = new CaptureStream();
  const report = new RunReport({ artifactsDir: dir, lab: 'mini', scenario: 'reinstall', plain: true, stream: out });
  report.start('boot server up').ok();
  t.true(report.ok);
  const s = report.start('reboot', 'node1');
  t.throws(() => report.start('reboot', 'node1'), { message: /already running/ });
  s.attach('/var/lib/metal-lab/labs/mini/console/node1.log');

  const result = await report.finish();
  t.false(result.ok);
  t.true(
    out.lines().some((l) => /^✖ node1  reboot failed: still running when the run finished \(\d+ms\); evidence: \/var\/lib\/metal-lab\/labs\/mini\/console\/node1\.log$/.test(l)),
    out.text,
  );
  t.throws(() => s.ok(), { message: /already ended/ });
  t.throws(() => report.info('late'), { message: /finished/ });
});

test('quiet mode prints nothing and still writes both files', async (t) => {
  const dir = await tempDir(t, 'run-report-');
  const out = new CaptureStream(true);
  const report = new RunReport({ artifactsDir: dir, lab: 'mini', scenario: 'pxe-boot', quiet: true, stream: out });
  await report.step('boot server up', undefined, () => undefined);
  const result = await report.finish();
  t.true(result.ok);
  t.is(out.text, '');
  t.true(JSON.parse(await readFile(result.timeline!, 'utf8')).ok);
  t.regex(await readFile(result.junit!, 'utf8'), /<testsuite name="pxe-boot"[^>]* tests="1" failures="0"/);
});

test('a report.html that cannot be written is a warning: the run keeps its verdict and its other files', async (t) => {
  const dir = await tempDir(t, 'run-report-');
  const out = new CaptureStream();
  const htmlReport = async () => {
    throw new Error('disk full');
  };
  const report = new RunReport({ artifactsDir: dir, lab: 'mini', scenario: 'pxe-boot', plain: true, stream: out, htmlReport });
  report.start('boot server up').ok();
  const result = await report.finish();
  t.deepEqual(result, { ok: true, timeline: path.join(dir, 'timeline.json'), junit: path.join(dir, 'junit.xml') });
  t.is(out.lines().at(-1), `⚠ report.html not written: disk full; \`metal-lab report ${dir}\` tries again`);
});

test('collectArtifacts copies files and directories, notes missing sources, keeps names inside the dir', async (t) => {
  const dir = await tempDir(t, 'run-report-');
  const src = path.join(dir, 'src');
  await mkdir(path.join(src, 'matchbox', 'groups'), { recursive: true });
  await writeFile(path.join(src, 'requests.jsonl'), '{"path":"/boot.ipxe"}\n');
  await writeFile(path.join(src, 'matchbox', 'groups', 'node1.json'), '{"id":"node1"}');
  const out = path.join(dir, 'out');
  const result = await collectArtifacts(out, [
    { src: path.join(src, 'requests.jsonl'), name: 'requests.jsonl' },
    { src: path.join(src, 'matchbox'), name: 'matchbox' },
    { src: path.join(src, 'nope.log'), name: 'console/nope.log' },
  ]);
  t.is(result.copied.length, 2);
  t.is(await readFile(path.join(out, 'requests.jsonl'), 'utf8'), '{"path":"/boot.ipxe"}\n');
  t.is(await readFile(path.join(out, 'matchbox', 'groups', 'node1.json'), 'utf8'), '{"id":"node1"}');
  t.deepEqual(result.missing, [{ src: path.join(src, 'nope.log'), name: 'console/nope.log', reason: 'not found' }]);
  await t.throwsAsync(collectArtifacts(out, [{ src: path.join(src, 'requests.jsonl'), name: '../escape' }]), { message: /inside/ });
});

test('without an artifacts dir a report shows progress and writes no files', async (t) => {
  const lines: string[] = [];
  const report = new RunReport({ lab: 'mini', scenario: 'up', plain: true, stream: { write: (c: string) => lines.push(c) } });
  await report.step('network', undefined, async () => 'created');
  const result = await report.finish();
  t.deepEqual(result, { ok: true });
  t.regex(lines.join(''), /up on mini passed: 1 steps ok in \d+ms\n/);
  await t.throwsAsync(report.collect([{ src: '/etc/hostname', name: 'x' }]), { message: /no artifacts dir/ });
});

test('a run that ends on an error no step reported (Ctrl-C between two steps) is summarised as failed, not passed', async (t) => {
  const out = new CaptureStream();
  const report = new RunReport({ lab: 'mini', scenario: 'up', plain: true, stream: out });
  await report.step('lab files', undefined, async () => undefined);
  report.failRun(new LabError('interrupted by SIGINT', 'run `metal-lab down` if anything is left', 130));
  t.false((await report.finish()).ok);
  const lines = out.lines();
  t.regex(lines.at(-2)!, /^✖ run failed: interrupted by SIGINT\. Fix: run `metal-lab down` if anything is left \(\d+ms\)$/);
  t.regex(lines.at(-1)!, /^✖ up on mini failed: 1 of 2 steps \(run\) in \d+m?s$/);
  t.false(out.text.includes('passed'));
});

test('a failure a step reported is the run\'s already: failRun adds no second line', async (t) => {
  const out = new CaptureStream();
  const report = new RunReport({ lab: 'mini', scenario: 'up', plain: true, stream: out });
  const boom = new LabError('network failed', 'see the log');
  await t.throwsAsync(report.step('network', undefined, async () => Promise.reject(boom)));
  report.failRun(boom);
  await report.finish();
  t.deepEqual(out.lines().filter((l) => l.startsWith('✖')).map((l) => l.split(':')[0]), ['✖ network failed', '✖ up on mini failed']);
});

test('a step that throws a non-Error with a message (a WebSocket ErrorEvent) fails with that message, not [object Object]', async (t) => {
  const report = new RunReport({ lab: 'mini', scenario: 'pxe-boot', plain: true, stream: new CaptureStream() });
  const event = { type: 'error', message: 'Unexpected server response: 502' };
  const rethrown = await report.step('pod-network', undefined, async () => Promise.reject(event)).catch((e: unknown) => e);
  t.is(rethrown, event, 'step() rethrows what was thrown');
  await report.step('anything', undefined, async () => Promise.reject(7)).catch(() => {});
  const fails = report.timeline.events.filter((e) => e.kind === 'step-fail');
  t.deepEqual(fails.map((e) => e.message), ['Unexpected server response: 502', '7']);
});
