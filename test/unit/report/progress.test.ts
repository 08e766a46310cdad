import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { Progress, endLine, formatDuration, progressMode } from '../../../src/report/progress.js';
import { CaptureStream, FakeTTY } from './capture.js';

const ESC = '\u001B';

/** One step per node, started together, finishing in the opposite order, one failing. */
async function concurrentTwoNodes(progress: Progress): Promise<void> {
  const node = async (name: string, ms: number, ok: boolean) => {
    progress.begin('dhcp lease', name);
    await sleep(ms);
    if (ok) progress.end('dhcp lease', name, 'ok', ms, '172.19.0.21');
    else progress.end('dhcp lease', name, 'fail', ms, 'no lease within 300s', ['/a/console/node2.log', '/a/leases']);
  };
  await Promise.all([node('node1', 60, true), node('node2', 20, false)]);
}

test('plain mode: one line per node as it starts and ends, no control codes', async (t) => {
  const out = new CaptureStream();
  const progress = new Progress({ stream: out, plain: true });
  t.is(progress.mode, 'plain');
  await concurrentTwoNodes(progress);
  progress.note('info', 'accelerator: tcg');
  t.deepEqual(out.lines(), [
    '… node1  dhcp lease',
    '… node2  dhcp lease',
    '✖ node2  dhcp lease failed: no lease within 300s (20ms); evidence: /a/console/node2.log, /a/leases',
    '✔ node1  dhcp lease 172.19.0.21 (60ms)',
    'ℹ accelerator: tcg',
  ]);
  t.false(out.text.includes(ESC));
});

test('a non-TTY stream gets plain output even when not asked; quiet wins over everything', (t) => {
  t.is(progressMode(new CaptureStream(false)), 'plain');
  t.is(progressMode(new FakeTTY(), { plain: true }), 'plain');
  t.is(progressMode(new FakeTTY(), { quiet: true }), 'quiet');
  t.is(progressMode(new FakeTTY(0)), 'plain', 'a 0-column pty would send ora into an endless clear loop');
});

test('quiet mode prints nothing', async (t) => {
  const out = new FakeTTY();
  const progress = new Progress({ stream: out, quiet: true });
  await concurrentTwoNodes(progress);
  progress.note('warn', 'slow');
  progress.summary(false, 'failed');
  t.is(out.text, '');
});

test('tty mode: one spinner names every running node; each result persists as its own line', async (t) => {
  const ci = process.env.CI;
  delete process.env.CI; // the test runner may set it; this test is about an interactive terminal
  t.teardown(() => {
    if (ci !== undefined) process.env.CI = ci;
  });
  const out = new FakeTTY();
  const progress = new Progress({ stream: out });
  t.is(progress.mode, 'tty');
  t.teardown(() => progress.summary(true, 'teardown')); // stops the spinner even if an assertion fails

  progress.begin('dhcp lease', 'node1');
  progress.begin('dhcp lease', 'node2');
  progress.begin('boot server up');
  t.is(progress.runningText(), 'dhcp lease node1, node2 · boot server up');
  // Which frame and how long depend on the machine's pace: ora moves to the next frame when its
  // interval has passed, even between two synchronous renders.
  t.regex(out.text, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] dhcp lease node1, node2 · boot server up \((\d+ms|\d+\.\ds)\)/, 'spinner frame shows the running set');

  progress.end('boot server up', undefined, 'ok', 400);
  progress.end('dhcp lease', 'node2', 'fail', 3000, 'no lease', ['/a/leases']);
  t.is(progress.runningText(), 'dhcp lease node1');
  progress.end('dhcp lease', 'node1', 'ok', 3200, '172.19.0.21');
  progress.summary(false, 'pxe-boot on mini failed');

  // Strip cursor movement and erase sequences (and colours): what remains is what stays on screen.
  const visible = out.text
    .replace(/\u001B\[\?(25|2026)[hl]/g, '')
    .replace(/\u001B\[[0-9;]*[A-Za-z]/g, '')
    .split('\n')
    .filter(Boolean);
  const persisted = visible.map((l) => l.replace(/^.*?([✔✖↓ℹ⚠√×] )/u, '$1'));
  t.deepEqual(persisted.slice(-4), [
    '✔ boot server up (400ms)',
    '✖ node2  dhcp lease failed: no lease (3.0s); evidence: /a/leases',
    '✔ node1  dhcp lease 172.19.0.21 (3.2s)',
    '✖ pxe-boot on mini failed',
  ]);
  t.true(out.text.lastIndexOf(`${ESC}[?25h`) > out.text.lastIndexOf(`${ESC}[?25l`), 'cursor shown again');
});

test('plain mode: while a step runs and nothing is written for quietMs, a "still" line says what runs and for how long', async (t) => {
  const out = new CaptureStream();
  const progress = new Progress({ stream: out, plain: true, quietMs: 100 });
  progress.begin('pivot', 'node1');
  await sleep(350);
  progress.end('pivot', 'node1', 'ok', 350);
  const stills = out.lines().filter((l) => l.startsWith('… still'));
  t.true(stills.length >= 2 && stills.length <= 4, `${stills.length} still lines in 350 ms at one per 100 ms quiet`);
  t.regex(stills[0] ?? '', /^… still pivot node1 \(\d+ms\)$/);
  const after = out.chunks.length;
  await sleep(300);
  t.is(out.chunks.length, after, 'nothing runs, nothing is said');
});

test('plain mode: an activity line counts as not silent; the still line waits quietMs after it', async (t) => {
  const out = new CaptureStream();
  const progress = new Progress({ stream: out, plain: true, quietMs: 200 });
  progress.begin('kubernetes binaries');
  for (let i = 0; i < 4; i++) {
    await sleep(80);
    progress.activity(`still building Kubernetes v1.20.2: ${i}s elapsed`);
  }
  progress.end('kubernetes binaries', undefined, 'ok', 320);
  t.deepEqual(out.lines(), [
    '… kubernetes binaries',
    ...[0, 1, 2, 3].map((i) => `… still building Kubernetes v1.20.2: ${i}s elapsed`),
    '✔ kubernetes binaries (320ms)',
  ]);
});

test('tty mode: an activity shows after the running steps on the spinner, and goes with the step', async (t) => {
  const ci = process.env.CI;
  delete process.env.CI;
  t.teardown(() => {
    if (ci !== undefined) process.env.CI = ci;
  });
  const out = new FakeTTY();
  const progress = new Progress({ stream: out });
  t.teardown(() => progress.summary(true, 'teardown'));
  progress.begin('kubernetes binaries');
  progress.activity('still building Kubernetes v1.20.2: 3m elapsed, last: go build k8s.io/kubernetes/cmd/kubelet');
  t.regex(out.text, /kubernetes binaries — still building Kubernetes v1\.20\.2: 3m elapsed, last: go build k8s\.io\/kubernetes\/cmd\/kubelet/);
  progress.end('kubernetes binaries', undefined, 'ok', 1000);
  progress.begin('container images');
  const frame = out.text.slice(out.text.lastIndexOf('container images') - 40);
  t.false(frame.includes('still building'), 'the next step starts without the last one\'s activity');
});

test('durations and failure lines read well', (t) => {
  t.is(formatDuration(850), '850ms');
  t.is(formatDuration(3249), '3.2s');
  t.is(formatDuration(192_000), '3m12s');
  t.is(formatDuration(60_400), '1m00s');
  t.is(endLine('boot server up', undefined, 'ok', 400), 'boot server up (400ms)');
  t.is(endLine('install', 'node3', 'skip', 0, 'no lease'), 'node3  install skipped: no lease');
});
