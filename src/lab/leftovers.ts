import fs from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';
import { hostLayout, type HostLayout, type LabLayout } from '../ground/host-layout.js';
import { labObjectNames } from '../ground/lab-spec.js';
import { labIdFromXml } from '../libvirt/metadata.js';
import { virshQueries } from '../libvirt/virsh.js';
import { runCommand, shellLine } from '../toolkit/command-error.js';
import { NFT } from './nft-table.js';
import { knownLabIds } from './state.js';

/**
 * Whether `name` is lab `id`'s by its name alone: `ml-<id>` or `ml-<id>-…`, unless a longer lab
 * id known here claims it (`ml-mini-x-node1` is lab mini-x's node1, not lab mini's).
 */
export function ownsName(id: string, name: string, otherIds: readonly string[] = []): boolean {
  const of = (lab: string) => name === `ml-${lab}` || name.startsWith(`ml-${lab}-`);
  return of(id) && !otherIds.some((o) => o.startsWith(`${id}-`) && of(o));
}

type Owns = (name: string) => boolean;

/** `ip -j link`: the lab's bridge, links enslaved to it, and links named after the lab. */
export function labLinks(ipJson: string, owns: Owns, bridge?: string): string[] {
  const links = JSON.parse(ipJson) as Array<{ ifname: string; master?: string }>;
  return links.flatMap(({ ifname, master }) => {
    if (bridge && ifname === bridge) return [`bridge ${ifname}`];
    if ((bridge && master === bridge) || owns(ifname)) return [`link ${ifname}${master ? ` on ${master}` : ''}`];
    return [];
  });
}

/** Whether a JSON value holds `text` as one of its strings, however deep. */
function holdsString(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value === text;
  return typeof value === 'object' && value !== null && Object.values(value).some((v) => holdsString(v, text));
}

type NftItem = {
  table?: { family: string; name: string };
  rule?: { family: string; table: string; expr?: unknown };
};

/**
 * `nft -j list ruleset`: tables named after the lab, and rules elsewhere that name its bridge
 * (libvirt's firewall rules for the lab network, counted per table).
 */
export function labNftObjects(nftJson: string, owns: Owns, bridge?: string): string[] {
  const items = (JSON.parse(nftJson) as { nftables: NftItem[] }).nftables;
  const tables = items.flatMap(({ table }) => (table && owns(table.name) ? [`${table.family} ${table.name}`] : []));
  const rules = new Map<string, number>();
  for (const { rule } of items) {
    const table = rule && `${rule.family} ${rule.table}`;
    if (!table || !bridge || tables.includes(table) || !holdsString(rule.expr, bridge)) continue;
    rules.set(table, (rules.get(table) ?? 0) + 1);
  }
  return [...tables.map((t) => `nft table ${t}`), ...[...rules].map(([table, n]) => `nft: ${n} rule${n === 1 ? '' : 's'} naming ${bridge} in table ${table}`)];
}

/** What marks a process as the lab's: its state dir, or libvirt's qemu or dnsmasq for the lab's objects. */
export interface LabProcessMarks {
  stateDir: string;
  network: string;
  owns: Owns;
}

/** Whether a command line is one of the lab's processes. */
export function isLabProcess(argv: readonly string[], marks: LabProcessMarks): boolean {
  const program = path.basename(argv[0] ?? '');
  const { stateDir } = marks;
  const guest = (arg: string) => /^guest=([^,]+)/.exec(arg)?.[1];
  return argv.some(
    (arg) =>
      arg === stateDir || arg.endsWith(`=${stateDir}`) || arg.includes(`${stateDir}/`) ||
      (program.startsWith('qemu-system') && marks.owns(guest(arg) ?? '')) ||
      (program === 'dnsmasq' && arg.endsWith(`/${marks.network}.conf`)),
  );
}

/** Every live process with its command line: one pass over /proc, keeping argv for the report. */
async function commandLines(): Promise<Array<{ pid: number; argv: string[] }>> {
  const entries = (await fs.readdir('/proc')).filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  const lines = await Promise.all(entries.map((e) => fs.readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')));
  return entries.map((e, i) => ({ pid: Number(e), argv: lines[i]!.split('\0').filter(Boolean) })).filter((p) => p.argv.length > 0);
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * Domains, network and pool by name (`virsh list`, not down's metadata lookup); a domain tagged
 * for another lab is left out, and its tag returned so the other lab's names are told apart.
 */
async function libvirtLeftovers(id: string, owns: Owns): Promise<{ found: string[]; otherIds: string[] }> {
  const names = labObjectNames({ id, nodes: [] });
  const [domains, networks, pools] = (await virshQueries([['list', '--all', '--name'], ['net-list', '--all', '--name'], ['pool-list', '--all', '--name']])).map(lines);
  const candidates = domains!.filter(owns);
  const xmls = candidates.length > 0 ? await virshQueries(candidates.map((d) => ['dumpxml', '--inactive', d])) : [];
  const tags = xmls.map(labIdFromXml);
  return {
    found: [
      // No XML: the domain went away between the two calls. No tag: a lab's name, so this lab's.
      ...candidates.filter((_, i) => xmls[i]!.trim() && (tags[i] ?? id) === id).map((d) => `domain ${d}`),
      ...networks!.filter((n) => n === names.network).map((n) => `network ${n}`),
      ...pools!.filter((p) => p === names.pool).map((p) => `pool ${p}`),
    ],
    otherIds: tags.filter((t): t is string => t !== undefined && t !== id),
  };
}

/** nft's ruleset, or undefined where nft is not installed (a lab host needs none). */
async function nftRuleset(): Promise<string | undefined> {
  try {
    return (await runCommand([NFT, '-j', 'list', 'ruleset'], { timeoutMs: 30_000 })).stdout;
  } catch (err) {
    // runCommand's HostError is the program missing; a failed run is a CommandError.
    if (err instanceof HostError) return undefined;
    throw err;
  }
}

/**
 * The lab's files: its state dir and the volumes in its disk dir. `up` and `down` write nothing
 * else: the scratch dirs other commands make in /tmp (journal, restore) name no lab.
 */
async function fileLeftovers(p: LabLayout): Promise<string[]> {
  const [root, volumes] = await Promise.all([fs.stat(p.root).then(() => true, () => false), fs.readdir(p.disks).catch(() => [])]);
  return [...(root ? [`state dir ${p.root}`] : []), ...volumes.map((v) => `volume ${path.join(p.disks, v)}`)];
}

/**
 * What lab `id` left on this host, one human-readable line each: domains, network, pool, volumes,
 * links (give `bridge`, the lab file's, to see taps on it), nftables tables and rules, processes
 * and files. Looks by names, /proc and the host's tools, independently of `down`'s own finder,
 * so that it catches what `down` misses. Read-only.
 */
export async function findLeftovers(id: string, host: HostLayout = hostLayout(), opts: { bridge?: string } = {}): Promise<string[]> {
  const stateIds = await knownLabIds(host);
  const libvirt = await libvirtLeftovers(id, (name) => ownsName(id, name, stateIds));
  const owns = (name: string) => ownsName(id, name, [...stateIds, ...libvirt.otherIds]);
  const paths = host.lab(id);
  const marks = { stateDir: paths.root, network: labObjectNames({ id, nodes: [] }).network, owns };
  const [ipJson, nftJson, procs, files] = await Promise.all([
    runCommand(['ip', '-j', 'link', 'show'], { timeoutMs: 30_000, install: 'apt-get install iproute2' }).then((r) => r.stdout),
    nftRuleset(),
    commandLines(),
    fileLeftovers(paths),
  ]);
  return [
    ...libvirt.found,
    ...labLinks(ipJson, owns, opts.bridge),
    ...(nftJson ? labNftObjects(nftJson, owns, opts.bridge) : []),
    ...procs.filter((p) => isLabProcess(p.argv, marks)).map((p) => `process ${p.pid}: ${shellLine(p.argv, 160)}`),
    ...files,
  ];
}
