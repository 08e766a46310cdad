/**
 * npm test: the test tiers one after another, so that nothing heavy ever runs beside a VM lab.
 * unit (node only; as root, in a mount namespace with the host tools hidden), then `metal-lab setup`
 * and `metal-lab build` (what the host tests and the labs boot: images, Kubernetes), then host
 * (real tools, one file at a time), then e2e (the VM labs, one file at a time).
 *
 * Every tier runs even after an earlier one failed, but a failed setup or build ends the run:
 * the tiers after it need what they make. Exits non-zero if anything failed, after a summary with
 * each tier's ava counts. `npm test -- unit host` runs only those tiers (setup and build before
 * host, e2e or nightly). The nightly tier, the labs too slow for the CI set (`npm run
 * test:nightly`), runs only when named.
 */
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';
import { formatDuration } from '../src/report/progress.js';
import { fluoSource, SHARED_FLUO_SOURCE } from './support/fluo.js';

const TIERS = ['unit', 'host', 'e2e', 'nightly'] as const;
type Tier = (typeof TIERS)[number];
/** npm test: what fits 45 minutes on a cold 2-core TCG machine. */
const CI_SET: Tier[] = ['unit', 'host', 'e2e'];

interface Step {
  name: string;
  command: string;
  args: string[];
}

const npmScript = (name: string, script: string): Step => ({ name, command: 'npm', args: ['run', '--silent', script] });

/**
 * What the build step makes. The CI set needs the images and Kubernetes; the nightly tier also
 * the update operator (about 5 minutes cold here, which the CI set's 45 cannot spare), from the
 * tests' copy of its source unless METAL_LAB_FLUO_SOURCE names one (without either it downloads).
 */
function buildArgs(tiers: Tier[]): string[] {
  if (!tiers.includes('nightly')) return ['live', 'disk', 'kubernetes', 'images'];
  return process.env.METAL_LAB_FLUO_SOURCE || !fluoSource.present() ? [] : ['--fluo-source', SHARED_FLUO_SOURCE.file];
}

/** Whether test/unit-bare.sh can hide the host tools here: root, and mount namespaces allowed. */
function canRunBare(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync('unshare', ['--mount', 'true']);
  if (probe.status === 0) return true;
  console.log('unit: no mount namespace here, so the host tools stay visible to the unit tier');
  return false;
}

function steps(tiers: Tier[]): Step[] {
  return [
    ...(tiers.includes('unit') ? [npmScript('unit', canRunBare() ? 'test:unit:bare' : 'test:unit')] : []),
    ...(tiers.some((t) => t !== 'unit')
      ? [
          { name: 'setup', command: './metal-lab', args: ['setup', '--quiet'] },
          { name: 'build', command: './metal-lab', args: ['build', '--quiet', ...buildArgs(tiers)] },
        ]
      : []),
    ...(tiers.includes('host') ? [npmScript('host', 'test:host')] : []),
    ...(tiers.includes('e2e') ? [npmScript('e2e', 'test:e2e')] : []),
    ...(tiers.includes('nightly') ? [{ name: 'nightly', command: 'npx', args: ['ava', '--config', 'test/nightly/ava.config.mjs'] }] : []),
  ];
}

/** ava's closing counts: "332 tests passed", "2 tests skipped", "1 hook failed", ... */
const SUMMARY = /^\s*(\d+ (tests? (passed|failed|skipped|todo|remained pending after a timeout)|hooks? failed|known failures?|unhandled rejections?|uncaught exceptions?))\s*$/;

/** The most of a failed tier's report the summary repeats: CI may keep only a run's last lines. */
const FAILURE_LINES = 80;

/**
 * What ava said of a tier's failures: its ✘ lines, then its report between the first and last
 * rule (─) of the output, where each failure has its title, source line and difference.
 */
function failures(lines: string[]): string[] {
  const marked = lines.filter((line) => line.includes('✘'));
  const first = lines.findIndex((line) => line.trim() === '─');
  const last = lines.findLastIndex((line) => line.trim() === '─');
  const report = first >= 0 && last > first ? lines.slice(first + 1, last).filter((line) => line.trim() !== '') : [];
  const all = [...marked, ...report].map((line) => line.trimEnd());
  return all.length > FAILURE_LINES ? [...all.slice(0, FAILURE_LINES), `… ${all.length - FAILURE_LINES} more lines above`] : all;
}

/** Runs a step with its output passed through, keeping ava's summary lines and failure report. */
function run(step: Step): Promise<{ ok: boolean; summary: string[]; failures: string[] }> {
  return new Promise((resolve) => {
    // Piped, ava would drop its colours.
    const env = process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env;
    const child = spawn(step.command, step.args, { stdio: ['inherit', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on('error', (err) => {
      console.error(`${step.name}: ${err.message}`);
      resolve({ ok: false, summary: [], failures: [] });
    });
    child.on('close', (code) => {
      const lines = stripVTControlCharacters(out).split('\n');
      const summary = lines.flatMap((line) => SUMMARY.exec(line)?.[1] ?? []);
      resolve({ ok: code === 0, summary, failures: code === 0 ? [] : failures(lines) });
    });
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((t) => !(TIERS as readonly string[]).includes(t));
if (unknown.length > 0) {
  console.error(`unknown tier ${unknown.join(', ')}: use ${TIERS.join(', ')}`);
  process.exit(2);
}

const results: string[] = [];
let failed = false;
for (const step of steps(wanted.length > 0 ? (wanted as Tier[]) : CI_SET)) {
  console.log(`\n── ${step.name}: ${[step.command, ...step.args].join(' ')}`);
  const started = performance.now();
  const { ok, summary, failures } = await run(step);
  results.push(`${step.name.padEnd(7)} ${ok ? 'ok    ' : 'FAILED'} ${formatDuration(performance.now() - started).padStart(6)}  ${summary.join(', ')}`);
  results.push(...failures.map((line) => `        ${line}`));
  failed ||= !ok;
  if (!ok && (step.name === 'setup' || step.name === 'build')) {
    results.push(`the rest not run: the tiers after ${step.name} need what it makes`);
    break;
  }
}
console.log(`\n── summary\n${results.join('\n')}`);
process.exit(failed ? 1 : 0);
