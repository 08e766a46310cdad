/**
 * npm run bench:status — `metal-lab status` on a lab that is up (lab/mini.yaml, its VMs booting),
 * as users run it from the compiled CLI, beside its floor: a bare `node -e 0`, the two taken in
 * turns in the same run so that the host's load weighs on both alike. Goal: status <= 2x the floor.
 */
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { loadLab } from '../src/spec/lab.js';
import { up } from '../src/lab/up.js';
import { down } from '../src/lab/down.js';
import { ensureHost } from '../src/setup/host.js';

const RUNS = 15;

async function timed(args: string[]): Promise<number> {
  const t = performance.now();
  await execa(process.execPath, args);
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await ensureHost();
await execa('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
const lab = await loadLab('lab/mini.yaml');
await down(lab.id);
try {
  await up(lab);
  const floor: number[] = [];
  const table: number[] = [];
  const json: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    floor.push(await timed(['-e', '0']));
    table.push(await timed(['dist/cli/main.js', 'status', lab.id]));
    json.push(await timed(['dist/cli/main.js', 'status', lab.id, '--json']));
  }
  const f = median(floor);
  console.log(`medians of ${RUNS}, taken in turns, lab ${lab.id} up (${lab.nodes.length} nodes):`);
  console.log(`  node -e 0 (floor)         ${f.toFixed(0).padStart(5)} ms`);
  for (const [what, xs] of [['metal-lab status', table], ['metal-lab status --json', json]] as const) {
    const m = median(xs);
    console.log(`  ${what.padEnd(25)} ${m.toFixed(0).padStart(5)} ms  ${(m / f).toFixed(2)}x the floor (goal <= 2x)`);
  }
} finally {
  await down(lab.id);
}
