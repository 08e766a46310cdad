import { LabError } from '../../errors.js';
import { labObjectNames, type LabSpec, type NodeSpec } from '../../ground/lab-spec.js';
import { findNftTable, labNftTable, NFT, removeNftTable } from '../../lab/nft-table.js';
import { tableRows } from '../../libvirt/table.js';
import { virsh } from '../../libvirt/virsh.js';
import { HostKeyChangedError } from '../../node/known-hosts.js';
import { nodeSshTarget } from '../../node/lab-target.js';
import { connectNode, SshConnectError } from '../../node/ssh.js';
import { SSH_ATTEMPT_MS, waitForSsh } from '../../node/wait.js';
import type { Fault } from '../../spec/fault-steps.js';
import { runCommand } from '../../toolkit/command-error.js';
import { waitFor } from '../../toolkit/wait-for.js';
import { nodeEvidence, type ScenarioContext } from '../context.js';
import { onNode } from '../on-node.js';
import type { FaultRunner } from './index.js';
import { faultTarget, labNode, seconds } from './target.js';

type FaultOf<K extends Fault['kind']> = Extract<Fault, { kind: K }>;

const NFT_INSTALL = 'apt-get install nftables, or ./metal-lab setup';

const percent = (share: number) => `${+(share * 100).toFixed(4)}%`;

/** Waits until the node takes an SSH login from the host; resolves with how long that took. */
async function answersSsh(ctx: ScenarioContext, node: NodeSpec, deadline: number, what: string): Promise<number> {
  const started = Date.now();
  const target = await nodeSshTarget(ctx.lab, node, ctx.paths, ctx.timeoutScale);
  await waitFor(what, () => waitForSsh(target, { timeoutMs: SSH_ATTEMPT_MS * ctx.timeoutScale }), {
    deadline,
    evidence: () => nodeEvidence(ctx, node),
    signal: ctx.signal,
    // A changed host key is another machine at the node's address: waiting will not fix that.
    fatal: (err) => err instanceof HostKeyChangedError,
  });
  return Date.now() - started;
}

/** Every node but those a poweroff step switched off answers SSH; says who answered and how fast. */
async function allAnswerSsh(ctx: ScenarioContext, nodes: NodeSpec[], deadline: number, what: string): Promise<string> {
  const on = nodes.filter((n) => !ctx.poweredOff.has(n.name));
  const off = nodes.filter((n) => ctx.poweredOff.has(n.name)).map((n) => n.name);
  const times = await Promise.all(on.map((n) => answersSsh(ctx, n, deadline, `${n.name} to answer SSH from the host ${what}`)));
  const answered = on.length ? `${on.map((n) => n.name).join(', ')} answered SSH from the host within ${seconds(Math.max(...times))}` : 'no node to check';
  return off.length ? `${answered} (${off.join(', ')} powered off: not checked)` : answered;
}

/** Why one short SSH attempt failed, or undefined if it logged in. */
async function sshRefusal(ctx: ScenarioContext, node: NodeSpec): Promise<string | undefined> {
  const target = await nodeSshTarget(ctx.lab, node, ctx.paths, ctx.timeoutScale);
  try {
    await (await connectNode({ ...target, timeoutMs: SSH_ATTEMPT_MS * ctx.timeoutScale })).close();
    return undefined;
  } catch (err) {
    return err instanceof SshConnectError ? err.summary : (err as Error).message;
  }
}

/** `virsh domif-getlink` prints "<interface> <state>"; libvirt before 6 said "default" for up. */
export function linkState(getlink: string): 'up' | 'down' | undefined {
  const state = /(\S+)\s*$/.exec(getlink)?.[1];
  if (state === 'down') return 'down';
  return state === 'up' || state === 'default' ? 'up' : undefined;
}

export const link: FaultRunner<FaultOf<'link'>> = async (ctx, fault, deadline) => {
  // On a shut-off domain virsh would change its stored config, which outlives the fault.
  const node = faultTarget(ctx, fault.node);
  const domain = labObjectNames(ctx.lab).domain(node.name);
  await virsh(['domif-setlink', domain, node.mac, fault.state]);
  if (fault.state === 'down') ctx.linkDown.add(node.name);
  else ctx.linkDown.delete(node.name);
  if (fault.state === 'up') return `link up; SSH answered again after ${seconds(await answersSsh(ctx, node, deadline, `${node.name} to answer SSH with its link up`))}`;
  const state = linkState((await virsh(['domif-getlink', domain, node.mac])).stdout);
  if (state !== 'down') throw new LabError(`${node.name}: virsh domif-getlink reads ${state ?? 'nothing'} after setting the link down`, `look at the domain: virsh domif-getlink ${domain} ${node.mac}`);
  const refusal = await sshRefusal(ctx, node);
  if (refusal === undefined) throw new LabError(`${node.name} still took an SSH login with its link down`, `check ${node.mac} is ${node.name}'s only NIC: virsh domiflist ${domain}`);
  return `link down (domif-getlink reads down); SSH no longer connects: ${refusal}`;
};

/**
 * The nft script of a partition: the lab's bridge-family table, whose forward chain drops frames
 * from any MAC of one group to any MAC of another, both ways. Frames to and from the host's own
 * address on the bridge are not forwarded, so the host keeps reaching every node. The chain is
 * flushed first, in the same transaction: a partition replaces the previous one, with no gap.
 * The rules match MACs only: kernels without nft_meta_bridge cannot match the bridge's name.
 */
export function partitionScript(table: string, groups: readonly (readonly string[])[]): { script: string; rules: number } {
  const set = (macs: readonly string[]) => `{ ${macs.join(', ')} }`;
  const rules = groups.flatMap((from, i) => groups.filter((_, j) => j !== i).map((to) => `add rule bridge ${table} forward ether saddr ${set(from)} ether daddr ${set(to)} counter drop`));
  const script = [
    `add table bridge ${table}`,
    `add chain bridge ${table} forward { type filter hook forward priority 0; policy accept; }`,
    `flush chain bridge ${table} forward`,
    ...rules,
  ].join('\n');
  return { script: `${script}\n`, rules: rules.length };
}

/** Installs a partition script (replacing any partition of the same table). */
export async function applyPartition(script: string): Promise<void> {
  await runCommand([NFT, '-f', '-'], {
    input: script,
    timeoutMs: 30_000,
    what: 'installing the partition',
    fix: 'nft needs root and a kernel with nf_tables bridge support: try nft list tables bridge',
    install: NFT_INSTALL,
  });
}

export const partition: FaultRunner<FaultOf<'partition'>> = async (ctx, fault, deadline) => {
  const groups = fault.between.map((names) => names.map((n) => labNode(ctx, n)));
  const table = labNftTable(ctx.lab.id);
  const { script, rules } = partitionScript(table, groups.map((g) => g.map((n) => n.mac)));
  await applyPartition(script);
  const reached = await allAnswerSsh(ctx, groups.flat(), deadline, 'across the partition');
  return `${rules} drop rules on the lab bridge (nft table bridge ${table}); ${reached}`;
};

/** The lab's nodes whose MACs a listing of the partition table names. */
export function partitionedNodes(lab: Pick<LabSpec, 'nodes'>, listing: string): NodeSpec[] {
  const macs = new Set(listing.toLowerCase().match(/\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/g));
  return lab.nodes.filter((n) => macs.has(n.mac));
}

export const heal: FaultRunner<FaultOf<'heal'>> = async (ctx, _fault, deadline) => {
  const table = await findNftTable(ctx.lab.id);
  if (!table) return 'no partition in place: nothing to heal';
  // The partition's nodes, from the kernel's rules: they are what the heal gives back.
  const nodes = partitionedNodes(ctx.lab, (await runCommand([NFT, 'list', 'table', 'bridge', table], { install: NFT_INSTALL })).stdout);
  await removeNftTable(table);
  return `partition lifted (nft table bridge ${table} deleted); ${await allAnswerSsh(ctx, nodes, deadline, 'after the heal')}`;
};

/** The host-side device of the NIC with `mac`, from `virsh domiflist` (Interface, Type, Source, Model, MAC); "-" while the domain is off. */
export function tapOf(domiflist: string, mac: string): string | undefined {
  const row = tableRows(domiflist).find((cells) => cells[4]?.toLowerCase() === mac.toLowerCase());
  return row?.[0] && row[0] !== '-' ? row[0] : undefined;
}

export interface Netem {
  delayMs?: number;
  /** A share: 0.05 is 5%. */
  loss?: number;
}

/** `tc` arguments that put netem at the root of `dev`, replacing what is there. */
export function netemArgs(dev: string, n: Netem): string[] {
  const delay = n.delayMs !== undefined ? ['delay', `${n.delayMs}ms`] : [];
  const loss = n.loss !== undefined ? ['loss', percent(n.loss)] : [];
  return ['qdisc', 'replace', 'dev', dev, 'root', 'netem', ...delay, ...loss];
}

interface TcQdisc {
  kind: string;
  root?: boolean;
  options?: { delay?: { delay?: number }; 'loss-random'?: { loss?: number } };
}

/**
 * The root qdisc in `tc -j qdisc show dev <dev>`, with netem's delay and loss when it is netem
 * (tc's JSON gives seconds and shares). Undefined when the device lists none.
 */
export function rootQdisc(json: string): { kind: string; netem?: Required<Netem> } | undefined {
  const root = (JSON.parse(json || '[]') as TcQdisc[]).find((q) => q.root);
  if (!root) return undefined;
  if (root.kind !== 'netem') return { kind: root.kind };
  // Microsecond rounding: tc reads the kernel's ticks back as a float.
  const delayMs = Math.round((root.options?.delay?.delay ?? 0) * 1e6) / 1e3;
  return { kind: root.kind, netem: { delayMs, loss: root.options?.['loss-random']?.loss ?? 0 } };
}

const netemLine = (n: Required<Netem>) => `delay ${n.delayMs}ms, loss ${percent(n.loss)}`;

/** Whether what tc reads back is what was asked, to tc's precision (kernel ticks, 2^-32 shares). */
function matches(asked: Netem, got: Required<Netem>): boolean {
  return Math.abs((asked.delayMs ?? 0) - got.delayMs) < 1 && Math.abs((asked.loss ?? 0) - got.loss) < 1e-6;
}

async function nodeTap(ctx: ScenarioContext, node: NodeSpec): Promise<string> {
  const domain = labObjectNames(ctx.lab).domain(node.name);
  const tap = tapOf((await virsh(['domiflist', domain])).stdout, node.mac);
  if (!tap) throw new LabError(`${node.name} has no tap device for ${node.mac}: is it running?`, `power it on first (a poweron step); see virsh domiflist ${domain}`);
  return tap;
}

/** Where a netem qdisc goes: a device, and how `tc` runs there. */
interface NetemSite {
  where: string;
  dev: string;
  tc(args: string[]): Promise<string>;
}

/**
 * The tap on the host: a qdisc there acts on what the host sends into it, so it shapes traffic
 * towards the guest only, and a round trip through it takes the delay once.
 */
async function hostSite(ctx: ScenarioContext, node: NodeSpec): Promise<NetemSite> {
  const dev = await nodeTap(ctx, node);
  return { where: `${dev}, towards ${node.name}`, dev, tc: async (args) => (await runCommand(['tc', ...args], { timeoutMs: 30_000 })).stdout };
}

/** The device of `ip -o route get` ("... dev ens3 src ..."). */
export function routeDev(route: string): string | undefined {
  return / dev (\S+)/.exec(route)?.[1];
}

/**
 * The node's own NIC, for hosts whose kernel has no netem (some cloud kernels build without it):
 * Debian's kernel on the node has it, and shapes what the node sends, so a round trip takes the
 * delay once there too. Installed nodes only: it goes over SSH.
 */
async function nodeSite(ctx: ScenarioContext, node: NodeSpec): Promise<NetemSite> {
  const dev = routeDev(await onNode(ctx, node, `ip -o route get ${ctx.lab.bootServer.address}`));
  if (!dev) throw new LabError(`${node.name}: no route to the host's bridge address ${ctx.lab.bootServer.address}`, `look at its routes: metal-lab ssh ${node.name} -- ip route`);
  return { where: `${node.name}'s ${dev}, from ${node.name}`, dev, tc: (args) => onNode(ctx, node, `sudo -n modprobe -q sch_netem; sudo -n tc ${args.join(' ')}`) };
}

const readRoot = async (site: NetemSite) => rootQdisc(await site.tc(['-j', 'qdisc', 'show', 'dev', site.dev]));

/** Removes netem from a site, if it has it; what it had. Only netem is this step's to remove. */
async function clearSite(site: NetemSite): Promise<string | undefined> {
  const had = await readRoot(site);
  if (!had?.netem) return undefined;
  await site.tc(['qdisc', 'del', 'dev', site.dev, 'root']);
  const now = await readRoot(site);
  if (now?.netem) throw new LabError(`netem is still in force on ${site.where}: ${netemLine(now.netem)}`, `look at it: tc qdisc show dev ${site.dev}`);
  return `netem (${netemLine(had.netem)}) cleared on ${site.where}; root qdisc now ${now?.kind ?? 'none'}`;
}

const NO_NETEM = /qdisc kind is unknown|Unknown qdisc/i;

export const netem: FaultRunner<FaultOf<'netem'>> = async (ctx, fault) => {
  const node = faultTarget(ctx, fault.node);
  const host = await hostSite(ctx, node);
  if (fault.delayMs === undefined && fault.loss === undefined) {
    const cleared = [await clearSite(host), ctx.boot === 'install' ? await clearSite(await nodeSite(ctx, node)) : undefined].filter(Boolean);
    return cleared.length ? cleared.join('; ') : `no netem on ${host.where}${ctx.boot === 'install' ? ` or ${node.name}'s NIC` : ''}: already clear`;
  }
  let site = host;
  const fallback = ctx.boot === 'install' ? ` (on ${host.where}: this host's kernel has no netem)` : '';
  try {
    await host.tc(netemArgs(host.dev, fault));
  } catch (err) {
    if (!NO_NETEM.test((err as Error).message)) throw err;
    if (!fallback) throw new LabError(`this host's kernel has no netem, and ${node.name} is a live node without SSH to run it on`, 'load it (modprobe sch_netem) or use a kernel with CONFIG_NET_SCH_NETEM; or boot the nodes with up: { boot: install }');
    site = await nodeSite(ctx, node);
    await site.tc(netemArgs(site.dev, fault));
  }
  const now = await readRoot(site);
  if (!now?.netem || !matches(fault, now.netem)) throw new LabError(`tc reads back ${now?.netem ? netemLine(now.netem) : (now?.kind ?? 'no qdisc')} on ${site.where}, not the netem asked`, `look at it: tc qdisc show dev ${site.dev}`);
  return `netem in force on ${site.where}: ${netemLine(now.netem)} (read back with tc)${site === host ? '' : fallback}`;
};
