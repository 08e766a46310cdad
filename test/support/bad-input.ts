import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { metalLab } from './run-cli.js';

/** A wrong value of one field: the file's text, the field the line must name (`nodes[1].mac`), and its problem. */
export interface BadCase {
  /** The schema field it breaks, as schemaFields names it (`nodes[].mac`); '' for the file as a whole. */
  field: string;
  title: string;
  text: string;
  /** The field as the one line names it, '' when the line names only the file. */
  at: string;
  problem: RegExp;
  /** The file the line names, when another than the one the case wrote (a scenario's lab). */
  file?: string;
}

/** A lab file with every field set once, valid: each bad lab case breaks one, and the bad scenarios run on it. */
export const LAB = `id: bad
accelerator: auto
network:
  bridge: ml-bad0
  subnet: 10.77.0.0/24
  domain: example.com
  nat: false
  dhcpRange: { start: 10.77.0.50, end: 10.77.0.99 }
bootServer: { port: 8080 }
dns:
  api.example.com: 10.77.0.10
kubernetes: { version: v1.20.2, apiName: cluster.example.com }
updates:
  channel: stable
  rebootWindow: { start: "Sat 02:00", length: 2h }
  beforeRebootAnnotations: [example.com/drained]
  afterRebootAnnotations: [example.com/healthy]
defaults: { memory: 512, vcpus: 1, disk: 4, firmware: bios }
nodes:
  - { name: node1, role: controller, mac: "52:54:00:00:00:01", ip: 10.77.0.10, memory: 1024, vcpus: 1, disk: 4, firmware: bios }
  - { name: node2, role: worker, mac: "52:54:00:00:00:02", ip: 10.77.0.11 }
`;

/** Replaces one exact snippet of `text`, failing loudly if it is not there. */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture edit: ${from} not in the fixture`);
  return text.replace(from, to);
}

/** zod's and yaml's own words, which a user should never read: a user reads the field's problem. */
const POOR = [/Invalid (input|string|option|type)/, /known fields here: \)/, /must match pattern/, /\/\^/, /Unrecognized key/, /\n/, /^\s+at /m, /Error:/];

/**
 * Runs `metal-lab ARGS` in-process with a fresh state dir and cache under `dir`, and checks the
 * promise of bad input: exit 2, nothing on stdout, one line with a fix on stderr, no words of
 * zod or yaml and no stack, and nothing created (`dir` holds only `keep`). Returns the line
 * without its `metal-lab: `.
 */
export async function refusedLine(t: ExecutionContext, dir: string, args: string[], keep: readonly string[]): Promise<string> {
  const r = await metalLab(args, { METAL_LAB_HOME: path.join(dir, 'home'), METAL_LAB_CACHE: path.join(dir, 'cache') });
  t.is(r.exitCode, 2, r.stderr);
  t.is(r.stdout, '');
  for (const poor of POOR) t.notRegex(r.stderr, poor);
  t.regex(r.stderr, /^metal-lab: .+\. Fix: \S/);
  t.deepEqual((await fs.readdir(dir)).sort(), [...keep].sort(), 'nothing created');
  t.false(existsSync(path.join(dir, 'home')) || existsSync(path.join(dir, 'cache')));
  return r.stderr.replace(/^metal-lab: /, '');
}

/** The line must name the file, then the field (if any), then the problem. */
export function assertNames(t: ExecutionContext, line: string, file: string, c: BadCase): void {
  const named = `${c.file ?? file}: ${c.at ? `${c.at}: ` : ''}`;
  t.true(line.startsWith(named), `${line}\n  does not start with ${named}`);
  t.regex(line.slice(named.length), c.problem);
}
