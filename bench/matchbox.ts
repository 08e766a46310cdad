/**
 * npm run bench:matchbox — throughput of /ipxe over data dirs of 1,000 and 10,000 groups and
 * profiles, against the floor: a bare node:http server answering the same body as a constant.
 *
 * For each size it generates the data dir (path printed, kept for a comparison run), starts the
 * embedded server on loopback as users run it (the compiled CLI's `matchbox serve`), and the
 * floor, each in its own process, and drives /ipxe with autocannon, cycling through every MAC.
 * The two are driven in turns, BENCH_ROUNDS rounds each, and the round with the median req/s
 * is shown: the load generator shares the cores, and one round of either moves by 20% from run
 * to run here. With MATCHBOX_URL=http://127.0.0.1:PORT it drives that server too (a real
 * Matchbox started on the printed data dir of the last size).
 * Goals (issue 13): at least 0.8x the floor's req/s, p99 at most 5 ms.
 *
 * Each size is driven at 10 and at 50 connections. With the load generator on the same cores,
 * the latency at 50 is mostly queueing: by Little's law the mean latency is connections / req/s,
 * and each size's summary prints that mean at the floor's rate beside the floor's own p99.
 *
 * Env: BENCH_GROUPS (default 1000,10000), BENCH_SECONDS (default 5 per round), BENCH_ROUNDS
 * (default 3), BENCH_CONNECTIONS (default 10,50), BENCH_DATA (data dir path, a suffix per size).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { execa } from 'execa';
import { writeGroup, writeProfile } from '../src/matchbox/writer.js';

const sizes = (process.env.BENCH_GROUPS ?? '1000,10000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const loads = (process.env.BENCH_CONNECTIONS ?? '10,50').split(',').map(Number);
const dataRoot = path.resolve(process.env.BENCH_DATA ?? path.join(os.tmpdir(), 'metal-lab-bench-matchbox'));

function mac(i: number): string {
  return `52:54:00:${[i >> 16, (i >> 8) & 0xff, i & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

async function generate(dataDir: string, groups: number): Promise<void> {
  await fs.rm(dataDir, { recursive: true, force: true });
  for (let i = 0; i < groups; i++) {
    await writeProfile(dataDir, {
      id: `profile-${i}`,
      boot: { kernel: `/assets/os/${i}/vmlinuz`, initrd: [`/assets/os/${i}/initrd.img`], args: ['console=ttyS0', `node=${i}`, 'ignition.config.url=http://mb/ignition?mac=${mac:hexhyp}'] },
      ignition_id: `node-${i}.ign`,
    });
    // Half the machines also have an installed-OS group, so selection has real precedence work to do.
    await writeGroup(dataDir, { id: `install-${i}`, profile: `profile-${i}`, selector: { mac: mac(i) }, metadata: { node: i } });
  }
  await writeGroup(dataDir, { id: 'default', profile: 'profile-0' });
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  total: number;
}

async function drive(url: string, groups: number, connections: number, duration = seconds): Promise<Figures> {
  // iPXE sends the MAC hyphenated; every request asks for a different machine in turn.
  const requests = Array.from({ length: groups }, (_, i) => ({ method: 'GET' as const, path: `/ipxe?mac=${mac(i).replace(/:/g, '-')}` }));
  const result = await autocannon({ url, connections, duration, requests });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, total: result.requests.total };
}

function row(name: string, f: Figures): string {
  return `${name.padEnd(38)} ${f.rps.toFixed(0).padStart(10)} ${`${f.p50} ms`.padStart(10)} ${`${f.p99} ms`.padStart(10)} ${String(f.total).padStart(10)} ${String(f.non2xx).padStart(8)}`;
}

/** Starts a server process and resolves with the loopback URL it prints. */
async function serve(argv: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = execa(argv[0]!, argv.slice(1), { reject: false });
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    void server.then((r) => reject(new Error(`server exited: ${r.stderr}`)));
  });
  return {
    url,
    stop: async () => {
      server.kill('SIGTERM');
      await server;
    },
  };
}

/** The floor: node:http answering `body` to every request, nothing else. */
const floorServer = (body: string) => [
  'node',
  '-e',
  `const b = ${JSON.stringify(body)}; const s = require('node:http').createServer((q, r) => r.end(b)); s.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + s.address().port));`,
];

/** The round with the median req/s. */
const medianRound = (xs: Figures[]) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await execa('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  const cli = path.resolve(import.meta.dirname, '../dist/cli/main.js');
  const header = `${'server'.padEnd(38)} ${'req/s'.padStart(10)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'requests'.padStart(10)} ${'non-2xx'.padStart(8)}`;
  const lines = [header];
  let lastData = '';
  for (const groups of sizes) {
    const dataDir = (lastData = `${dataRoot}-${groups}`);
    console.log(`generating ${groups} groups and profiles in ${dataDir}`);
    await generate(dataDir, groups);
    const assetsDir = path.join(dataDir, 'assets');
    await fs.mkdir(assetsDir, { recursive: true });
    // Each server in its own process, so neither shares an event loop with the load generator.
    const ours = await serve(['node', cli, 'matchbox', 'serve', '--data', dataDir, '--assets', assetsDir, '--address', '127.0.0.1:0']);
    const body = await (await fetch(`${ours.url}/ipxe?mac=${mac(0).replace(/:/g, '-')}`)).text();
    const floor = await serve(floorServer(body));
    // A second of warm-up each (JIT, snapshot, reply cache), not counted.
    await drive(ours.url, groups, loads[0]!, 1);
    await drive(floor.url, groups, loads[0]!, 1);
    for (const connections of loads) {
      console.log(`${groups} groups: ${connections} connections, ${rounds} rounds of ${seconds} s per server, in turns`);
      const oursRounds: Figures[] = [];
      const floorRounds: Figures[] = [];
      for (let i = 0; i < rounds; i++) {
        oursRounds.push(await drive(ours.url, groups, connections));
        floorRounds.push(await drive(floor.url, groups, connections));
      }
      const [figures, bare] = [medianRound(oursRounds), medianRound(floorRounds)];
      lines.push(
        row(`metal-lab, ${groups} groups, ${connections} conns`, figures),
        row(`node:http floor (${body.length} B)`, bare),
        `  metal-lab / floor: ${(figures.rps / bare.rps).toFixed(2)}x req/s (goal >= 0.8x), p99 ${figures.p99} ms (goal <= 5 ms), the floor's ${bare.p99} ms; ` +
          `${connections} requests in flight at the floor's rate wait ${((connections / bare.rps) * 1000).toFixed(1)} ms on average (Little's law)`,
      );
      if (figures.non2xx > 0) {
        console.error(`metal-lab answered ${figures.non2xx} non-2xx responses at ${groups} groups`);
        process.exitCode = 1;
      }
    }
    await Promise.all([ours.stop(), floor.stop()]);
  }
  const external = process.env.MATCHBOX_URL;
  if (external) {
    const theirs = await drive(external, sizes.at(-1)!, loads.at(-1)!);
    lines.push(row('external Matchbox', theirs));
  } else {
    lines.push(`\nTo compare, serve ${lastData} with the real Matchbox and rerun with MATCHBOX_URL=http://127.0.0.1:PORT (see "Running the real Matchbox" in README.md).`);
  }
  console.log(lines.join('\n'));
}

await main();
