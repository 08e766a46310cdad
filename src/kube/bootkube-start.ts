import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeConfig } from '@kubernetes/client-node';
import { LabError } from '../errors.js';
import type { NodeSession } from '../node/ssh.js';
import { ASSET_NODE_PATHS, assetMode } from '../ground/bootkube-layout.js';
import { NODE_PATHS } from '../ground/cluster.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';
import { manifestObjects } from './asset-dir.js';
import { API_WAIT, apiHealthz, createObjects, deletePodRecord, describeError, listNodes, listPods, type CreateResult, type Log } from './client.js';
import { bootstrapPods, CONTROL_PLANE_NAMESPACE, isMirrorPod, podName, selfHostedStatus } from './pods.js';

/**
 * bootkube start, driven from the host: the first controller's kubelet runs the temporary
 * control plane from static pods, the lab creates the self-hosted one through it, and once
 * that runs the temporary one is removed. Messages are bootkube's own.
 */

/** What the pivot needs of a node: commands and files as root (`core` has passwordless sudo). */
export interface NodeShell {
  readonly name: string;
  run(cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Written as root, or owned by `owner` (its group too); missing dirs are made 0755. */
  writeFile(path: string, contents: string, mode: number, owner?: string): Promise<void>;
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A NodeShell over an SSH session: every command runs through `sudo -n sh -c`. */
export function sshNodeShell(session: NodeSession, timeoutMs = 120_000): NodeShell {
  const run = (cmd: string, input?: string) => session.run(`sudo -n sh -c ${sq(cmd)}`, { timeoutMs, input });
  return {
    name: session.alias,
    run: (cmd) => run(cmd),
    async writeFile(file, contents, mode, owner) {
      // Written under umask 077 and renamed into place: a key is never readable, a half file never
      // seen. Its dirs stay traversable, so that a service's own user reaches its file. Synced
      // before and after the rename: a node whose plug is pulled next (the etcd scenario's) came
      // back with the new files empty, and etcd failed on "failed to find any PEM data".
      const dir = path.posix.dirname(file);
      const tmp = `${file}.metal-lab-tmp`;
      const place = [
        `cat > ${sq(tmp)}`,
        // `user:` is the user and its login group.
        ...(owner ? [`chown ${sq(`${owner}:`)} ${sq(tmp)}`] : []),
        `chmod ${mode.toString(8)} ${sq(tmp)}`,
        `sync ${sq(tmp)}`,
        `mv -f ${sq(tmp)} ${sq(file)}`,
        `sync ${sq(dir)}`,
      ].join(' && ');
      const r = await run(`(umask 022 && mkdir -p ${sq(dir)}) && umask 077 && { ${place} || { rm -f ${sq(tmp)}; false; }; }`, contents);
      if (r.code !== 0) throw new LabError(`${session.alias}: cannot write ${file}: ${r.stderr.trim() || `exit ${r.code}`}`, `check ${session.alias}'s disk, and that its login user may sudo without a password`);
    },
  };
}

async function mustRun(node: NodeShell, cmd: string): Promise<string> {
  const r = await node.run(cmd);
  if (r.code !== 0) throw new LabError(`${node.name}: \`${cmd}\` failed (exit ${r.code}): ${r.stderr.trim()}`, `look at ${node.name} (metal-lab ssh ${node.name})`);
  return r.stdout;
}

export interface NodeFile {
  asset: string;
  path: string;
  mode: number;
}

/** Places assets by the render's copy map: a key ending in / maps a dir, the longest match wins. */
function placeFiles(assets: ReadonlyMap<string, string>, map: Readonly<Record<string, string>>): NodeFile[] {
  const keys = Object.keys(map).sort((a, b) => b.length - a.length);
  const files: NodeFile[] = [];
  for (const asset of assets.keys()) {
    const key = keys.find((k) => (k.endsWith('/') ? asset.startsWith(k) : asset === k));
    if (key === undefined) continue;
    files.push({ asset, path: key.endsWith('/') ? `${map[key]}${asset.slice(key.length)}` : map[key]!, mode: assetMode(asset) });
  }
  return files;
}

/** Where the asset dir's files go on the first controller for the temporary control plane. */
export function bootstrapFiles(assets: ReadonlyMap<string, string>): NodeFile[] {
  const { 'tls/': tls, 'auth/bootstrap-kubeconfig': kubeconfig, 'bootstrap-manifests/': manifests } = ASSET_NODE_PATHS;
  return placeFiles(assets, { 'tls/': tls, 'auth/bootstrap-kubeconfig': kubeconfig, 'bootstrap-manifests/': manifests });
}

/** The apiserver checkpoint every controller keeps aside: its static pod and the Secret's files. */
export function checkpointFiles(assets: ReadonlyMap<string, string>): NodeFile[] {
  return placeFiles(assets, { 'checkpoints/': `${NODE_PATHS.checkpoints}/`, 'checkpoints/secrets/': ASSET_NODE_PATHS['checkpoints/secrets/'] });
}

async function writeFiles(node: NodeShell, assets: ReadonlyMap<string, string>, files: NodeFile[]): Promise<void> {
  for (const f of files) await node.writeFile(f.path, assets.get(f.asset)!, f.mode);
}

export interface PivotIntervals {
  /** bootkube polled /healthz every 5 s. */
  healthzIntervalMs: number;
  /** Self-hosted pod status and the handover poll at this rate. */
  pollIntervalMs: number;
  /** The log names each new state; one that lasts is logged again after this, so a stall shows. */
  quietLogMs: number;
  /** How long after the teardown the kubelet has to delete its mirror pods before the lab does. */
  staleMirrorMs: number;
}

export const DEFAULT_PIVOT_INTERVALS: PivotIntervals = { healthzIntervalMs: 5000, pollIntervalMs: 5000, quietLogMs: 5 * 60_000, staleMirrorMs: 5 * 60_000 };

/** Without a deadline: bootkube's own limits (20 min for the API, 20 for the pods) plus 10 for the handover. */
export const DEFAULT_PIVOT_MS = 50 * 60_000;

/** One wait of the pivot: until when (shared by all of them), how often, and what cuts it short (Ctrl-C). */
export interface PivotWait {
  deadline: number;
  intervalMs: number;
  quietLogMs?: number;
  signal?: AbortSignal;
}

export interface PivotTimings {
  copyMs: number;
  apiUpMs: number;
  createMs: number;
  selfHostedMs: number;
  teardownMs: number;
  checkpointsMs: number;
  handoverMs: number;
  totalMs: number;
}

export interface BootkubeStartOptions {
  /** An admin kubeconfig for the first controller's API address. */
  kc: KubeConfig;
  /** The rendered asset dir: relative path -> text (src/render/bootkube). */
  assets: ReadonlyMap<string, string>;
  /** The node that runs the temporary control plane. */
  first: NodeShell;
  /** Every controller (the first included): each keeps an apiserver checkpoint. */
  controllers: readonly NodeShell[];
  log?: Log;
  /**
   * When the whole pivot must be done (labNow() milliseconds): the API wait, the self-hosted
   * wait and the handover share it. Default: DEFAULT_PIVOT_MS from the start.
   */
  deadline?: number;
  intervals?: Partial<PivotIntervals>;
  /** Ends every wait of the pivot at once: a run interrupted mid-pivot goes on to its artifacts. */
  signal?: AbortSignal;
}

export interface PivotResult {
  created: CreateResult[];
  timings: PivotTimings;
  /** Proof the self-hosted plane serves: its /healthz and the nodes it lists. */
  evidence: string[];
}

/** waitFor's options for a pivot wait; bootkube logs each new state it sees, and again while it lasts. */
const pivotWait = (w: PivotWait, log?: (state: string) => void) => {
  let since = 0;
  let logged = 0;
  const onRetry = (r: { state: string; changed: boolean }) => {
    const now = Date.now();
    if (r.changed) {
      since = logged = now;
      log?.(r.state);
    } else if (now - logged >= (w.quietLogMs ?? DEFAULT_PIVOT_INTERVALS.quietLogMs)) {
      logged = now;
      log?.(`${r.state} (the same for ${Math.round((now - since) / 1000)}s)`);
    }
  };
  return { ...w, ...API_WAIT, onRetry: log && onRetry };
};

export async function waitForApi(kc: KubeConfig, w: PivotWait, log: Log): Promise<void> {
  await waitFor(
    'the API server /healthz',
    async () => {
      const h = await apiHealthz(kc);
      return h.ok || pending(`/healthz HTTP ${h.status}: ${h.body.slice(0, 200)}`);
    },
    pivotWait(w, (s) => log(`Unable to determine api-server readiness: ${s}`)),
  );
}

/** Waits until the self-hosted kube-apiserver, kube-scheduler and kube-controller-manager pods are Running. */
export async function waitForSelfHosted(kc: KubeConfig, w: PivotWait, log: Log): Promise<void> {
  await waitFor(
    'the self-hosted control plane pods Running',
    async () => {
      const status = selfHostedStatus(await listPods(kc, CONTROL_PLANE_NAMESPACE));
      return status.ready || pending(status.lines.join('; '));
    },
    pivotWait(w, (s) => log(`Pod Status: ${s}`)),
  );
}

/**
 * After teardown: the API answers through the self-hosted apiserver and no bootstrap pod is left.
 * A bootstrap pod left now is the kubelet's mirror record of a static pod whose manifest is gone;
 * the kubelet deletes those itself, but in ha run 15, with containerd restarted under it, node1's
 * kubelet never tried for the controller-manager's, and the record stayed for 70 minutes. Its
 * manifest is gone, so nothing recreates it: once the kubelet has had `staleMirrorMs`, the lab
 * deletes it as the kubelet would (at once, and only the record it saw, by UID).
 */
export async function waitForHandover(kc: KubeConfig, w: PivotWait & { staleMirrorMs: number }): Promise<string[]> {
  const removed = new Set<string>();
  const staleAfter = labNow() + w.staleMirrorMs;
  return waitFor(
    'the self-hosted API server to serve with no bootstrap pod left',
    async () => {
      const h = await apiHealthz(kc);
      if (!h.ok) return pending(`/healthz HTTP ${h.status}: ${h.body.slice(0, 200)}`);
      const nodes = await listNodes(kc);
      if (nodes.length === 0) return pending('the API lists no node');
      const left = bootstrapPods(await listPods(kc, CONTROL_PLANE_NAMESPACE));
      if (left.length) {
        for (const pod of labNow() >= staleAfter ? left.filter(isMirrorPod) : []) {
          await deletePodRecord(kc, pod);
          removed.add(podName(pod));
        }
        return pending(`bootstrap pods left: ${left.map(podName).join(', ')}`);
      }
      return ['/healthz: ok', `nodes: ${nodes.map((n) => n.metadata?.name).join(', ')}`, `bootstrap pods left: none${removed.size ? ` (the lab deleted the stale mirror pods ${[...removed].join(', ')})` : ''}`];
    },
    pivotWait(w),
  );
}

export async function bootkubeStart(o: BootkubeStartOptions): Promise<PivotResult> {
  const { healthzIntervalMs, pollIntervalMs, quietLogMs, staleMirrorMs } = { ...DEFAULT_PIVOT_INTERVALS, ...o.intervals };
  const deadline = o.deadline ?? labNow() + DEFAULT_PIVOT_MS;
  const log: Log = (line) => o.log?.(`${new Date().toISOString()} ${line}`);
  const start = performance.now();
  let mark = start;
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  const timings: Partial<PivotTimings> = {};
  const objects = manifestObjects(o.assets);
  const bootstrap = bootstrapFiles(o.assets);
  if (!bootstrap.some((f) => f.asset.startsWith('bootstrap-manifests/'))) throw new LabError('the asset dir has no bootstrap-manifests/', 'render the bootkube assets first');

  log(`Running temporary bootstrap control plane on ${o.first.name}...`);
  let created: CreateResult[] = [];
  let failure: unknown;
  try {
    await writeFiles(o.first, o.assets, bootstrap);
    timings.copyMs = lap();
    log('Waiting for api-server...');
    await waitForApi(o.kc, { deadline, intervalMs: healthzIntervalMs, quietLogMs, signal: o.signal }, log);
    timings.apiUpMs = lap();
    log('Creating self-hosted assets...');
    created = await createObjects(o.kc, objects, { log: (l) => log(`\t${l}`), deadline });
    timings.createMs = lap();
    await waitForSelfHosted(o.kc, { deadline, intervalMs: pollIntervalMs, quietLogMs, signal: o.signal }, log);
    timings.selfHostedMs = lap();
    log('All self-hosted control plane components successfully started');
  } catch (err) {
    failure = err;
  }
  // Always: a half-pivoted node must not keep a second apiserver on its port.
  log('Tearing down temporary bootstrap control plane...');
  lap();
  const staticPods = bootstrap.filter((f) => f.asset.startsWith('bootstrap-manifests/')).map((f) => sq(f.path));
  try {
    await mustRun(o.first, `rm -f ${staticPods.join(' ')} && rm -rf ${sq(NODE_PATHS.bootstrapSecrets)}`);
  } catch (err) {
    // The pivot's own failure is the one to report.
    if (!failure) throw err;
    log(`Failed to tear down the temporary control plane: ${describeError(err)}`);
  }
  timings.teardownMs = lap();
  if (failure) throw failure;

  // Every controller at once: under TCG one took 1.6-2 minutes of synced writes (ha run 24).
  const checkpoints = checkpointFiles(o.assets);
  await Promise.all(o.controllers.map(async (node) => {
    log(`Installing the kube-apiserver checkpoint on ${node.name}`);
    await writeFiles(node, o.assets, checkpoints);
    log(`Installed the kube-apiserver checkpoint on ${node.name}`);
  }));
  timings.checkpointsMs = lap();

  log('Waiting for the self-hosted api-server to take over...');
  const evidence = await waitForHandover(o.kc, { deadline, intervalMs: pollIntervalMs, quietLogMs, staleMirrorMs, signal: o.signal });
  timings.handoverMs = lap();
  timings.totalMs = Math.round(performance.now() - start);
  log(`Self-hosted control plane serving: ${evidence.join('; ')}`);
  return { created, timings: timings as PivotTimings, evidence };
}
