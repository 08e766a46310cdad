import type { NodeSpec } from '../ground/lab-spec.js';
import { ETCD_TLS_DIR } from '../render/node-secrets.js';
import { onNode, type LabAccess } from './on-node.js';
import { etcdFromHost } from './etcd-from-host.js';

/** etcdctl's own limits on KVM (its defaults): to connect, TLS handshake included, and for a request. */
const DIAL_S = 2;
const COMMAND_S = 5;

/**
 * etcdctl on a node, as `core`, with the client cert Ignition put in its home; stdout. Its limits
 * scale with the accelerator, as every other timeout does: under TCG a handshake on a busy
 * controller can take longer than etcdctl's 2 s, and a request longer than its 5 s.
 */
function etcdctl(at: LabAccess, node: NodeSpec, args: string): Promise<string> {
  const [dialS, commandS] = [DIAL_S * at.timeoutScale, COMMAND_S * at.timeoutScale];
  const command =
    `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --dial-timeout=${dialS}s --command-timeout=${commandS}s ` +
    `--cacert=${ETCD_TLS_DIR}/ca.crt --cert=$HOME/.etcd/client.crt --key=$HOME/.etcd/client.key ${args}`;
  // The SSH command outlasts etcdctl's own limits, so that etcdctl is the one that says why.
  return onNode(at, node, command, (dialS + commandS) * 1000 + 60_000);
}

export async function etcdHealth(at: LabAccess, node: NodeSpec): Promise<string> {
  // etcdctl 3.4 reports health on stderr.
  return (await etcdctl(at, node, 'endpoint health 2>&1')).trim();
}

/** A member as the cluster lists it. One added but not started yet has no name and no client URLs. */
export interface EtcdMember {
  /** Hex, as `member remove` takes it and etcd logs it. */
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

/**
 * `member list -w json`. IDs are uint64s printed as bare JSON numbers, beyond what a double holds
 * exactly, so they are quoted before parsing. etcd leaves empty names and URL lists out.
 */
export function parseMembers(json: string): EtcdMember[] {
  type Raw = { ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[] };
  const { members = [] } = JSON.parse(json.replace(/"ID":(\d+)/g, '"ID":"$1"')) as { members?: Raw[] };
  return members.map((m) => ({ id: BigInt(m.ID).toString(16), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [] }));
}

/** A member that started and published itself: it has its name and client URLs. */
export const memberStarted = (m: EtcdMember): boolean => m.name !== '' && m.clientURLs.length > 0;

export async function etcdMembers(at: LabAccess, node: NodeSpec): Promise<EtcdMember[]> {
  return parseMembers(await etcdctl(at, node, 'member list -w json'));
}

/** Removes a member by its hex ID, through `via`'s local endpoint. */
export async function etcdRemoveMember(at: LabAccess, via: NodeSpec, id: string): Promise<void> {
  await etcdctl(at, via, `member remove ${id}`);
}

/** Adds a member (not started yet) by name and peer URLs, through `via`'s local endpoint. */
export async function etcdAddMember(at: LabAccess, via: NodeSpec, name: string, peerURLs: string): Promise<void> {
  await etcdctl(at, via, `member add ${name} --peer-urls=${peerURLs}`);
}

export async function etcdPut(at: LabAccess, node: NodeSpec, key: string, value: string): Promise<void> {
  await etcdctl(at, node, `put ${key} ${value}`);
}

/** A key read through one node's local endpoint, or undefined if absent. */
export async function etcdGet(at: LabAccess, node: NodeSpec, key: string): Promise<string | undefined> {
  const out = (await etcdctl(at, node, `get ${key} --print-value-only`)).trim();
  return out === '' ? undefined : out;
}

/** GET /health on a controller's client port from the host: what the Kubernetes API server will do. */
export async function etcdHealthFromHost(at: LabAccess, node: NodeSpec): Promise<{ health: string }> {
  return (await etcdFromHost(at, node, '/health')) as { health: string };
}
