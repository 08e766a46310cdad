import type { NodeSpec } from '../ground/lab-spec.js';
import type { LabCheckName, NodeCheckName } from '../spec/scenario.js';
import { labObjectNames } from '../ground/lab-spec.js';
import { dhcpLeases } from '../libvirt/network.js';
import { liveGroupId, liveProfileId } from '../render/matchbox-live.js';
import { installGroupId } from '../render/matchbox-install.js';
import { labModel } from '../ground/lab-model.js';
import { etcdGet, etcdHealth, etcdHealthFromHost, etcdMembers, etcdPut } from './etcd.js';
import { consoleOf, nodeEvidence, requestsOf, stepDeadline, type ScenarioContext } from './context.js';
import { EvidenceError } from './evidence.js';
import { kubernetes, rollouts } from './step-modules.js';
import { LabError } from '../errors.js';

/** A per-node assertion: resolves to a short finding, or throws an EvidenceError. */
type NodeCheck = (ctx: ScenarioContext, node: NodeSpec) => Promise<string>;
/** An assertion about the whole lab. */
type LabCheck = (ctx: ScenarioContext) => Promise<string>;

/** Lab checks by name whose module loads when one of them runs. */
function loadedOnUse<K extends string>(load: () => Promise<Record<K, LabCheck>>, names: readonly K[]): Record<K, LabCheck> {
  return Object.fromEntries(names.map((name) => [name, async (ctx: ScenarioContext) => (await load())[name](ctx)])) as Record<K, LabCheck>;
}

/** The group and profile a node's first-stage /ipxe must be answered from, by boot mode. */
const firstStage = (ctx: ScenarioContext, node: NodeSpec) =>
  ctx.boot === 'install' ? { group: installGroupId(node), profile: installGroupId(node) } : { group: liveGroupId(node), profile: liveProfileId(node) };

export const USERSPACE_MARKER = 'metal-lab: reached userspace';

async function fail(ctx: ScenarioContext, node: NodeSpec, message: string, extra: string[] = []): Promise<never> {
  throw new EvidenceError(message, [...extra, ...(await nodeEvidence(ctx, node))]);
}

export const CHECKS = {
  /** The node holds a dnsmasq lease for its reserved IP. */
  'dhcp-lease': async (ctx, node) => {
    const leases = await dhcpLeases(labObjectNames(ctx.lab).network);
    const lease = leases.find((l) => l.mac === node.mac);
    if (!lease) return fail(ctx, node, `no DHCP lease for ${node.mac} (leases: ${leases.map((l) => `${l.mac}=${l.ip}`).join(', ') || 'none'})`);
    if (lease.ip !== node.ip) return fail(ctx, node, `leased ${lease.ip}, but ${node.ip} is reserved for ${node.mac}`);
    return `lease ${lease.ip}`;
  },

  /** /boot.ipxe, then /ipxe with the node's own MAC answered from its own group and profile, then the kernel and initrd. */
  'boot-chain': async (ctx, node) => {
    const reqs = await requestsOf(ctx, node);
    const chain = reqs.findIndex((e) => e.path === '/boot.ipxe' && e.status === 200);
    if (chain < 0) return fail(ctx, node, `no /boot.ipxe request from ${node.ip}`);
    const ipxe = reqs.findIndex((e, i) => i > chain && e.path === '/ipxe' && e.labels?.mac === node.mac);
    if (ipxe < 0) return fail(ctx, node, `no /ipxe request with mac=${node.mac} after /boot.ipxe`);
    const got = reqs[ipxe]!;
    const want = firstStage(ctx, node);
    if (got.status !== 200 || got.group !== want.group || got.profile !== want.profile) {
      return fail(ctx, node, `/ipxe answered ${got.status} from group ${got.group ?? '-'} profile ${got.profile ?? '-'}, expected ${want.group}/${want.profile}`);
    }
    const assets = reqs.slice(ipxe).filter((e) => e.path.startsWith('/assets/') && e.status === 200).map((e) => e.path.split('/').pop());
    for (const want of ['vmlinuz', 'initrd.img']) {
      if (!assets.includes(want)) return fail(ctx, node, `the ${want} asset was not fetched after /ipxe`);
    }
    return `/boot.ipxe -> /ipxe (profile ${got.profile}) -> vmlinuz, initrd.img`;
  },

  /** The kernel booted and the agent ran: console marker, Ignition fetched, callback received. */
  userspace: async (ctx, node) => {
    const consoleLog = await consoleOf(ctx, node);
    if (!consoleLog.includes(`${USERSPACE_MARKER} mac=${node.mac}`)) {
      return fail(ctx, node, `the console shows no "${USERSPACE_MARKER}" marker`);
    }
    const reqs = await requestsOf(ctx, node);
    if (!reqs.some((e) => e.path === '/ignition' && e.status === 200 && e.labels?.mac === node.mac)) {
      return fail(ctx, node, 'the node never fetched its Ignition config');
    }
    const callback = reqs.find((e) => e.path === '/lab/event' && e.labels?.stage === 'userspace');
    if (!callback) return fail(ctx, node, 'no userspace callback reached the boot server', [ctx.paths.requestLog]);
    return `console marker + callback at ${callback.time}`;
  },

  /** Installed once and only once (no reinstall loop), then booted the installed system. */
  'installed-once': async (ctx, node) => {
    const events = (await requestsOf(ctx, node)).filter((e) => e.path === '/lab/event');
    const installs = events.filter((e) => e.labels?.stage === 'installed-to-disk').length;
    if (installs !== 1) return fail(ctx, node, `installed ${installs} times, expected exactly once`);
    const firstBoots = events.filter((e) => e.labels?.stage === 'installed').length;
    if (firstBoots < 1) return fail(ctx, node, 'the installed system never reported its first boot');
    return `1 install, then the installed system's first boot`;
  },

  /** etcd answers healthy on the node's own client endpoint, over TLS with the client cert. */
  'etcd-health': async (ctx, node) => {
    if (node.role !== 'controller') return 'no etcd on workers';
    return etcdHealth(ctx, node).catch((err: Error) => fail(ctx, node, err.message));
  },

  /** The node's own API server answers /readyz; workers run none. */
  'api-answers': async (ctx, node) => (await kubernetes()).apiAnswers(ctx, node).catch((err: Error) => fail(ctx, node, err.message)),

  /** The node is registered with the API server and Ready. */
  'node-ready': async (ctx, node) => (await kubernetes()).nodeReady(ctx, node).catch((err: Error) => fail(ctx, node, err.message)),

  /** The kubelet's /healthz answers, through the API server's node proxy and on its own port. */
  'kubelet-health': async (ctx, node) => (await kubernetes()).kubeletHealth(ctx, node).catch((err: Error) => fail(ctx, node, err.message)),
} satisfies Record<NodeCheckName, NodeCheck>;

export const LAB_CHECK_FNS = {
  /** Every controller is a member, seen from each controller. */
  'etcd-members': async (ctx) => {
    const want = labModel(ctx.lab).controllers.map((n) => n.name).sort();
    for (const node of labModel(ctx.lab).controllers) {
      const got = (await etcdMembers(ctx, node)).map((m) => m.name).sort();
      if (got.join() !== want.join()) throw new EvidenceError(`${node.name} lists members ${got.join(', ')}, expected ${want.join(', ')}`, await nodeEvidence(ctx, node));
    }
    return `${want.length} members: ${want.join(', ')}`;
  },

  /**
   * A new key written through the first running controller is read through every running one.
   * Keys are remembered, so `etcd-caught-up` can later look for them on a node that was away.
   */
  'etcd-replication': async (ctx) => {
    const running = labModel(ctx.lab).controllers.filter((n) => !ctx.poweredOff.has(n.name));
    const via = running[0]!;
    const key = `/metal-lab/replication/${ctx.etcdKeys.size + 1}`;
    const value = `written-via-${via.name}-at-${Date.now()}`;
    await etcdPut(ctx, via, key, value);
    ctx.etcdKeys.set(key, value);
    for (const node of running) {
      const got = await etcdGet(ctx, node, key);
      if (got !== value) throw new EvidenceError(`${node.name} read ${got ?? 'nothing'} for ${key}, expected ${value}`, await nodeEvidence(ctx, node));
    }
    return `${key} written via ${via.name}, read via ${running.map((n) => n.name).join(', ')}`;
  },

  /** Every controller holds every key the scenario wrote, including those written while it was off. */
  'etcd-caught-up': async (ctx) => {
    for (const node of labModel(ctx.lab).controllers) {
      for (const [key, value] of ctx.etcdKeys) {
        const got = await etcdGet(ctx, node, key);
        if (got !== value) throw new EvidenceError(`${node.name} has ${got ?? 'nothing'} for ${key}, expected ${value}`, await nodeEvidence(ctx, node));
      }
    }
    return `${ctx.etcdKeys.size} keys on all ${labModel(ctx.lab).controllers.length} controllers`;
  },

  /** Every controller's client port answers /health to the host with the lab's client cert. */
  'etcd-from-host': async (ctx) => {
    for (const node of labModel(ctx.lab).controllers) {
      const r = await etcdHealthFromHost(ctx, node);
      if (r.health !== 'true') throw new EvidenceError(`${node.name} /health says ${JSON.stringify(r)}`, await nodeEvidence(ctx, node));
    }
    return `${labModel(ctx.lab).controllers.length} endpoints healthy from the host`;
  },

  /** Every write etcd acknowledged since `watch: etcd-writes`, held by every controller: none lost to the faults between. */
  'etcd-writes-kept': (ctx) => {
    if (!ctx.etcdWriter) throw new LabError('etcd-writes-kept judges the writes of a watch: etcd-writes step, and none ran', 'add - watch: etcd-writes before the faults');
    // A member cut off catches up from the leader: a KVM baseline, scaled.
    return ctx.etcdWriter.kept(stepDeadline(ctx, 60));
  },

  /** Every replica of the workload Ready on a Ready node of its own. */
  'workload-ready': async (ctx) => (await rollouts()).workloadReadyStep(ctx),

  ...loadedOnUse(async () => (await kubernetes()).KUBE_LAB_CHECKS, ['api-name', 'self-hosted', 'pod-network', 'cluster-dns', 'apiserver-recovers']),
  ...loadedOnUse(async () => (await rollouts()).ROLLOUT_CHECK_FNS, ['one-at-a-time', 'budget-kept', 'workload-answered']),
} satisfies Record<LabCheckName, LabCheck>;
