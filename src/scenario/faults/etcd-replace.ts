import { LabError } from '../../errors.js';
import { labModel } from '../../ground/lab-model.js';
import type { NodeSpec } from '../../ground/lab-spec.js';
import type { Fault } from '../../spec/fault-steps.js';
import { pending, waitFor, type WaitOptions } from '../../toolkit/wait-for.js';
import { nodeEvidence, type ScenarioContext } from '../context.js';
import { etcdAddMember, etcdGet, etcdHealth, etcdMembers, etcdPut, etcdRemoveMember, memberStarted, type EtcdMember } from '../etcd.js';
import { onNode } from '../on-node.js';
import { asRoot, keyValues, UNITS } from './node.js';
import { faultTarget, seconds } from './target.js';
import type { FaultRunner } from './index.js';

/** Where Debian's etcd.service reads its settings (EnvironmentFile=-/etc/default/%p); Ignition writes it once, on first boot. */
export const ETCD_ENV_FILE = '/etc/default/etcd';

/** What the runbook needs of a member's own settings. */
export interface EtcdSettings {
  name: string;
  dataDir: string;
  /** As etcd takes them: comma-separated. */
  peerURLs: string;
}

/** The member's settings from its environment file; the data dir must be one this runbook may wipe. */
export function etcdSettings(envFile: string, node: string): EtcdSettings {
  const env = keyValues(envFile);
  const get = (key: string) => {
    const value = env.get(key);
    if (!value) throw new LabError(`${node}'s ${ETCD_ENV_FILE} sets no ${key}`, `look at it: metal-lab ssh ${node} -- cat ${ETCD_ENV_FILE}`);
    return value;
  };
  const dataDir = get('ETCD_DATA_DIR');
  // It goes to rm -rf: absolute, no . or .. segment, at least two levels deep (never / or /var).
  if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*){2,}$/.test(dataDir)) {
    throw new LabError(`${node}'s etcd data dir ${JSON.stringify(dataDir)} is not a path etcd-replace will wipe`, `set ETCD_DATA_DIR in ${ETCD_ENV_FILE} to a directory of etcd's own, such as /var/lib/etcd/default`);
  }
  return { name: get('ETCD_NAME'), dataDir, peerURLs: get('ETCD_INITIAL_ADVERTISE_PEER_URLS') };
}

/** The member that advertises the node's (first) peer URL, started or not. */
export function memberAt(members: EtcdMember[], s: EtcdSettings): EtcdMember | undefined {
  const url = s.peerURLs.split(',')[0]!;
  return members.find((m) => m.peerURLs.includes(url));
}

/**
 * With etcd stopped: its data dir wiped, and the member told to join the cluster that exists. The
 * setting stays: once rejoined, its data dir belongs to that cluster, so `existing` is right for
 * every later start, a reboot's included (etcd reads the setting only with an empty data dir).
 */
export function rejoinScript(s: EtcdSettings, envFile = ETCD_ENV_FILE): string {
  return [
    'set -e',
    `rm -rf -- ${s.dataDir}`,
    `sed -i "/^ETCD_INITIAL_CLUSTER_STATE=/d" ${envFile}`,
    `echo ETCD_INITIAL_CLUSTER_STATE=existing >> ${envFile}`,
  ].join('\n');
}

/** How many of `members` make a quorum. */
export const quorum = (members: number): number => Math.floor(members / 2) + 1;

/** The other running controllers whose etcd answers healthy. */
async function healthyPeers(ctx: ScenarioContext, node: NodeSpec): Promise<NodeSpec[]> {
  const others = labModel(ctx.lab).controllers.filter((n) => n.name !== node.name && !ctx.poweredOff.has(n.name));
  const healthy = await Promise.all(others.map((n) => etcdHealth(ctx, n).then(() => true, () => false)));
  return others.filter((_, i) => healthy[i]);
}

/**
 * etcd's runbook for a failed member (etcd.io, "Replacing a failed etcd member"): stop it (a
 * removed member's etcd exits 0, and Restart=always would start it again on its old data),
 * remove it through a healthy member, wipe its data dir, add it back, start it with
 * initial-cluster-state existing; it must start, answer healthy and hold every key written.
 */
export const etcdReplace: FaultRunner<Extract<Fault, { kind: 'etcd-replace' }>> = async (ctx, fault, deadline) => {
  const node = faultTarget(ctx, fault.node);
  if (node.role !== 'controller') throw new LabError(`${node.name} is a ${node.role}: it runs no etcd member to replace`, 'name a controller');
  const settings = etcdSettings(await onNode(ctx, node, `cat ${ETCD_ENV_FILE}`), node.name);
  const peers = await healthyPeers(ctx, node);
  const via = peers[0];
  if (!via) throw new LabError(`no other controller's etcd answers healthy to replace ${node.name}'s member through`, 'bring the other controllers back first (poweron, heal) and check etcd-health');
  const members = await etcdMembers(ctx, via);
  const left = members.length - (memberAt(members, settings) ? 1 : 0);
  if (peers.length < quorum(left)) {
    throw new LabError(`only ${peers.length} of the other ${left} members are healthy: without ${node.name}'s the cluster would lose quorum`, 'bring the other controllers back first (poweron, heal) and check etcd-health');
  }
  const wait: WaitOptions = { deadline, evidence: () => nodeEvidence(ctx, node), signal: ctx.signal };
  const rejoinFix = `the member is out with its data wiped: on ${via.name}, etcdctl member add ${settings.name} --peer-urls=${settings.peerURLs}; then on ${node.name}, sudo systemctl start etcd`;
  const ms: Record<string, number> = {};
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      ms[phase] = Date.now() - started;
    }
  };

  await timed('stop', () => onNode(ctx, node, `sudo -n systemctl stop ${UNITS.etcd}`));
  // Listed again before each try: a remove or add that timed out may still have been applied.
  let removed: string | undefined;
  await timed('remove', () =>
    waitFor(`${via.name} to remove ${node.name}'s member`, async () => {
      const m = memberAt(await etcdMembers(ctx, via), settings);
      if (m) {
        removed = m.id;
        await etcdRemoveMember(ctx, via, m.id);
      }
      return true;
    }, wait),
  );
  // Written while the member is out: the rejoined member can only have it from the others.
  const key = `/metal-lab/etcd-replace/${ctx.etcdKeys.size + 1}`;
  const value = `written-via-${via.name}-while-${node.name}-was-out`;
  await waitFor(`${via.name} to take ${key} while ${node.name} is out`, () => etcdPut(ctx, via, key, value).then(() => true), wait);
  ctx.etcdKeys.set(key, value);
  await timed('wipe', () => onNode(ctx, node, asRoot(rejoinScript(settings))));
  const added = await timed('add', () =>
    waitFor(`${via.name} to add ${node.name}'s member back`, async () => {
      const m = memberAt(await etcdMembers(ctx, via), settings);
      if (m) return m.id;
      await etcdAddMember(ctx, via, settings.name, settings.peerURLs);
      return pending('added, not listed yet');
    }, { ...wait, fix: rejoinFix }),
  );
  // --no-block: a joining member reports ready only once it has caught up.
  await timed('start', async () => {
    await onNode(ctx, node, `sudo -n systemctl start --no-block ${UNITS.etcd}`);
    await waitFor(`${node.name}'s member to start and publish its name and client URLs`, async () => {
      const m = memberAt(await etcdMembers(ctx, via), settings);
      return m && memberStarted(m) ? m : pending(m ? `member ${m.id} not started` : 'not a member');
    }, { ...wait, fix: `look at its journal: metal-lab ssh ${node.name} --lab ${ctx.lab.id} -- journalctl -u ${UNITS.etcd}` });
  });
  await timed('healthy', () => waitFor(`etcd on ${node.name} to answer endpoint health`, () => etcdHealth(ctx, node), wait));
  await timed('keys', () =>
    waitFor(`${node.name} to hold the ${ctx.etcdKeys.size} keys the scenario wrote`, async () => {
      for (const [k, v] of ctx.etcdKeys) {
        const got = await etcdGet(ctx, node, k);
        if (got !== v) return pending(`${k} reads ${got ?? 'nothing'}, expected ${v}`);
      }
      return true;
    }, wait),
  );

  ctx.report.info('etcd-replace phases (ms)', { node: node.name, via: via.name, ...ms });
  return (
    `${removed ? `member ${removed}` : 'no member (it was not one)'} replaced through ${via.name}: stopped in ${seconds(ms.stop!)}, removed in ${seconds(ms.remove!)}, ` +
    `${settings.dataDir} wiped in ${seconds(ms.wipe!)}, added back as ${added} in ${seconds(ms.add!)}, started in ${seconds(ms.start!)}, ` +
    `healthy ${seconds(ms.healthy!)} later, ${ctx.etcdKeys.size} key${ctx.etcdKeys.size === 1 ? '' : 's'} read back through it in ${seconds(ms.keys!)}`
  );
};
