/**
 * npm run bench:matchbox — throughput of /ipxe over a data dir of 1,000 groups and profiles.
 *
 * Generates the data dir (path printed, kept for a comparison run), starts the embedded server
 * on loopback, and drives /ipxe with autocannon, cycling through all 1,000 MACs. With
 * MATCHBOX_URL=http://127.0.0.1:PORT it drives that server too (a real Matchbox started on the
 * printed data dir) and prints both side by side.
 *
 * Env: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50), BENCH_DATA (data dir path).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { execa } from 'execa';
import { writeGroup, writeProfile } from '../src/matchbox/writer.js';

const GROUPS = 1000;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const dataDir = path.resolve(process.env.BENCH_DATA ?? path.join(os.tmpdir(), 'metal-lab-bench-matchbox'));

function mac(i: number): string {
  return `52:54:00:${[i >> 16, (i >> 8) & 0xff, i & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

async function generate(): Promise<void> {
  await fs.rm(dataDir, { recursive: true, force: true });
  for (let i = 0; i < GROUPS; i++) {
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

async function drive(url: string): Promise<Figures> {
  // iPXE sends the MAC hyphenated; every request asks for a different machine in turn.
  const requests = Array.from({ length: GROUPS }, (_, i) => ({ method: 'GET' as const, path: `/ipxe?mac=${mac(i).replace(/:/g, '-')}` }));
  const result = await autocannon({ url, connections, duration: seconds, requests });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, total: result.requests.total };
}

function row(name: string, f: Figures): string {
  return `${name.padEnd(22)} ${f.rps.toFixed(0).padStart(10)} ${`${f.p50} ms`.padStart(10)} ${`${f.p99} ms`.padStart(10)} ${String(f.total).padStart(10)} ${String(f.non2xx).padStart(8)}`;
}

async function main(): Promise<void> {
  console.log(`generating ${GROUPS} groups and profiles in ${dataDir}`);
  await generate();
  const assetsDir = path.join(dataDir, 'assets');
  await fs.mkdir(assetsDir, { recursive: true });
  // The server runs in its own process, as `metal-lab matchbox serve`, so it does not share an event loop with the load generator.
  const cli = path.resolve(import.meta.dirname, '../src/cli/main.ts');
  const server = execa('node', ['--import=tsx', cli, 'matchbox', 'serve', '--data', dataDir, '--assets', assetsDir, '--address', '127.0.0.1:0'], { reject: false });
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    void server.then((r) => reject(new Error(`server exited: ${r.stderr}`)));
  });
  console.log(`metal-lab matchbox at ${url}; ${connections} connections for ${seconds} s per server\n`);
  const ours = await drive(url);
  server.kill('SIGTERM');
  await server;

  const header = `${'server'.padEnd(22)} ${'req/s'.padStart(10)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'requests'.padStart(10)} ${'non-2xx'.padStart(8)}`;
  const lines = [header, row('metal-lab (embedded)', ours)];
  const external = process.env.MATCHBOX_URL;
  if (external) {
    const theirs = await drive(external);
    lines.push(row('external Matchbox', theirs));
    lines.push(`\nratio metal-lab / external: ${(ours.rps / theirs.rps).toFixed(2)}x`);
  } else {
    lines.push(`\nTo compare, serve ${dataDir} with the real Matchbox and rerun with MATCHBOX_URL=http://127.0.0.1:PORT (see "Running the real Matchbox" in README.md).`);
  }
  console.log(lines.join('\n'));
  if (ours.non2xx > 0) {
    console.error(`metal-lab answered ${ours.non2xx} non-2xx responses`);
    process.exitCode = 1;
  }
}

await main();
