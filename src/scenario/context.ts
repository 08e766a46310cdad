import fs from 'node:fs/promises';
import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import type { RunReport } from '../report/run-report.js';
import type { BootMode } from '../ground/lab-model.js';
import type { HostLayout, LabLayout } from '../ground/host-layout.js';
import { nodeRequests, readRequestLog } from '../matchbox/request-log.js';
import type { RequestLogEntry } from '../matchbox/types.js';
import type { KubeState } from './kubernetes.js';
import type { Rollout } from './rollout-steps.js';
import type { HostShareClock } from '../toolkit/host-share-clock.js';
import type { EtcdWriter } from './etcd-writes.js';
import { labNow } from '../toolkit/lab-clock.js';

/** What every scenario step sees. */
export interface ScenarioContext {
  lab: LabSpec;
  host: HostLayout;
  /** Where the lab keeps its files on this host. */
  paths: LabLayout;
  report: RunReport;
  /** How long the host's CPU went elsewhere: the runner notes it per step. */
  clock: Pick<HostShareClock, 'stretchMs'>;
  /** 1 under KVM; larger under TCG. Every timeout is a KVM baseline times this. */
  timeoutScale: number;
  /** What the nodes boot, as the scenario's `up` asked. */
  boot: BootMode;
  /** Nodes a `poweroff` step switched off and no `poweron` brought back. */
  poweredOff: Set<string>;
  /** Nodes a `link` fault took off the network and no `link: up` brought back. */
  linkDown: Set<string>;
  /** etcd keys the scenario wrote, with their values, for later catch-up checks. */
  etcdKeys: Map<string, string>;
  /** Bootable releases a `publish` step put on the channel, by version: the kernel (uname -r) a node that booted one runs. */
  published: Map<string, { kernel: string }>;
  /** Set by `bootstrap`: the asset dir and the admin client of the lab's cluster. */
  kube?: KubeState;
  /** Set by the first rollout step (`watch: rollout`, `workload`): its timeline, watch and probe. */
  rollout?: Rollout;
  /** Set by `watch: etcd-writes`: the host's writer, judged by `check: etcd-writes-kept`. */
  etcdWriter?: EtcdWriter;
  signal?: AbortSignal;
}

/**
 * A step's deadline: its timeout, a KVM baseline, scaled for the accelerator once, from now.
 * Everything the step waits for shares it.
 */
export function stepDeadline(ctx: Pick<ScenarioContext, 'timeoutScale'>, timeoutS: number, now = labNow()): number {
  return now + timeoutS * 1000 * ctx.timeoutScale;
}

export async function requestsOf(ctx: ScenarioContext, node: NodeSpec): Promise<RequestLogEntry[]> {
  const entries = await readRequestLog(ctx.paths.requestLog).catch(() => []);
  return nodeRequests(entries, node);
}

export async function consoleOf(ctx: ScenarioContext, node: NodeSpec): Promise<string> {
  return fs.readFile(ctx.paths.console(node.name), 'utf8').catch(() => '');
}

/** Where to look when something about a node fails: its console, the request log, and its last request. */
export async function nodeEvidence(ctx: ScenarioContext, node: NodeSpec): Promise<string[]> {
  const p = ctx.paths;
  const last = (await requestsOf(ctx, node)).at(-1);
  return [
    p.console(node.name),
    p.requestLog,
    last ? `last request ${last.path} -> ${last.status} at ${last.time}` : 'no request from this node reached the boot server',
  ];
}
