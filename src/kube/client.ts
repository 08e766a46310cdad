import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Writable } from 'node:stream';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { LabError } from '../errors.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';

/** Typed, lab-sized wrappers over @kubernetes/client-node: every API call of the lab goes through here. */

/** A manifest object as the API client sends it: what createObjects needs to address it (the render writes KubeObjects). */
export type ApiObject = KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

export type Log = (line: string) => void;

export function loadKubeconfig(file: string): KubeConfig {
  if (!existsSync(file)) throw new LabError(`no kubeconfig at ${file}`, 'bring the cluster up first (its kubeconfig is written by the render step)');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (!kc.getCurrentCluster()) throw new LabError(`${file} names no current cluster`, 'set current-context in the kubeconfig');
  return kc;
}

/** `Kind namespace/name`, as logs and errors name an object. */
export function objectName(obj: Pick<ApiObject, 'kind' | 'metadata'>): string {
  const ns = obj.metadata.namespace;
  return `${obj.kind} ${ns ? `${ns}/` : ''}${obj.metadata.name}`;
}

/** One line for an API or network failure: `HTTP 409 AlreadyExists: ...` or the socket error. */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = (typeof err.body === 'string' ? safeJson(err.body) : err.body) as { reason?: string; message?: string } | undefined;
    return `HTTP ${err.code}${body?.reason ? ` ${body.reason}` : ''}: ${body?.message ?? String(err.body).slice(0, 200)}`;
  }
  const e = err as Error & { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? e.message ?? String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

export const isStatus = (err: unknown, code: number) => err instanceof ApiException && err.code === code;

/**
 * What a busy control plane answers for a while (etcd slow or changing leaders, an apiserver
 * restarting), not what it thinks of the request: another try may well go through. Under TCG an
 * admission plugin's read can time out too: `500 InternalError: resource quota evaluation timed
 * out` ended lab ha's run 22.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiException) {
    return [429, 503, 504].includes(err.code) || (err.code === 500 && /timed out|timeout|etcdserver|leader changed/i.test(describeError(err)));
  }
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(describeError(err));
}

/** What every wait on the API adds to waitFor: API errors read as such, and where to look. */
export const API_WAIT = {
  describeError,
  fix: 'look at the nodes (metal-lab logs, kubelet journal) or allow a longer timeout under TCG',
} as const;

/** bootkube's order: Namespaces, then CustomResourceDefinitions, then the rest as given. */
export function creationOrder<T extends Pick<ApiObject, 'kind'>>(objects: readonly T[]): T[] {
  const rank = (o: T) => (o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2);
  // Array.prototype.sort is stable: within a rank the given order holds.
  return [...objects].sort((a, b) => rank(a) - rank(b));
}

export interface CreateResult {
  object: string;
  outcome: 'created' | 'exists' | 'dry-run';
}

/**
 * Creates objects in creationOrder, treating AlreadyExists as done so a re-run after a partial
 * failure picks up where it stopped. A transient answer (isTransient) is tried again until the
 * deadline. With dryRun the server validates and admits each object but stores nothing. Custom
 * resources wait for their CRD to be Established.
 */
export async function createObjects(
  kc: KubeConfig,
  objects: readonly ApiObject[],
  opts: { dryRun?: boolean; log?: Log; deadline?: number } = {},
): Promise<CreateResult[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const log = opts.log ?? (() => {});
  const results: CreateResult[] = [];
  const crds: string[] = [];
  for (const obj of creationOrder(objects)) {
    const name = objectName(obj);
    if (obj.kind !== 'CustomResourceDefinition' && obj.kind !== 'Namespace' && crds.length > 0 && !opts.dryRun) {
      await crdsEstablished(kc, crds.splice(0), opts.deadline ?? labNow() + 60_000);
    }
    try {
      await waitFor(`the API to take ${name}`, () => client.create(obj, undefined, opts.dryRun ? 'All' : undefined), {
        deadline: opts.deadline ?? labNow() + 60_000,
        intervalMs: 2000,
        fatal: (err) => !isTransient(err),
        ...API_WAIT,
      });
      results.push({ object: name, outcome: opts.dryRun ? 'dry-run' : 'created' });
      log(`${opts.dryRun ? 'Validated' : 'Created'} ${name}`);
    } catch (err) {
      // A Service with a fixed cluster IP that exists already is refused for its IP (422), not its name.
      if (!isStatus(err, 409) && !(await exists(client, obj))) throw new LabError(`creating ${name} failed: ${describeError(err)}`, 'fix the manifest, or check the API server log');
      results.push({ object: name, outcome: 'exists' });
      log(`${name} already exists`);
    }
    if (obj.kind === 'CustomResourceDefinition') crds.push(obj.metadata.name);
  }
  return results;
}

async function exists(client: KubernetesObjectApi, obj: ApiObject): Promise<boolean> {
  return client.read(obj).then(() => true, () => false);
}

/** The API serves a CRD's kind only once it is Established. */
async function crdsEstablished(kc: KubeConfig, names: string[], deadline: number): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor(
    `CustomResourceDefinitions ${names.join(', ')} established`,
    async () => {
      const waiting: string[] = [];
      for (const name of names) {
        const crd = await api.readCustomResourceDefinition({ name });
        if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) waiting.push(name);
      }
      return waiting.length === 0 || pending(`not established: ${waiting.join(', ')}`);
    },
    { deadline, intervalMs: 500, ...API_WAIT },
  );
}

export async function listPods(kc: KubeConfig, namespace: string, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Promise<V1Pod[]> {
  return (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, ...selectors })).items;
}

/**
 * Deletes a pod's API record at once (no grace: nothing on the node waits for it), and only the
 * record seen (its UID): one made since stays. Already gone or replaced counts as done.
 */
export async function deletePodRecord(kc: KubeConfig, pod: V1Pod): Promise<void> {
  const { name, namespace, uid } = pod.metadata ?? {};
  if (!name || !namespace) return;
  await kc
    .makeApiClient(CoreV1Api)
    // In the body, not the query: the API server takes a body's options over the query's.
    .deleteNamespacedPod({ name, namespace, body: { gracePeriodSeconds: 0, preconditions: { uid } } })
    .catch((err: unknown) => {
      if (!isStatus(err, 404) && !isStatus(err, 409)) throw err;
    });
}

export async function listNodes(kc: KubeConfig): Promise<V1Node[]> {
  return (await kc.makeApiClient(CoreV1Api).listNode()).items;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The API's verdict: Success, or Failure with the exit code in its message. */
  status: string;
  message: string;
}

/** Runs a command in a pod's container through the API (kubectl exec), collecting its output. */
export async function execInPod(kc: KubeConfig, namespace: string, pod: string, container: string, command: string[], timeoutMs: number): Promise<ExecResult> {
  const collect = (chunks: Buffer[]) => new Writable({ write: (c: Buffer, _e, done) => done(void chunks.push(Buffer.from(c))) });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let status = { status: 'Unknown', message: 'the exec stream closed without a status' };
  const ws = await new Exec(kc)
    .exec(namespace, pod, container, command, collect(out), collect(err), null, false, (s) => {
      status = { status: s.status ?? 'Unknown', message: s.message ?? '' };
    })
    .catch((e: unknown) => {
      // client-node rejects with the WebSocket's ErrorEvent, not an Error: its message says what the server answered.
      const said = (e as { message?: unknown }).message;
      throw new LabError(`exec \`${command.join(' ')}\` in ${namespace}/${pod} could not start: ${typeof said === 'string' ? said : String(e)}`, "check the pod exists and runs, and that the API server reaches its node's kubelet (port 10250)");
    });
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      ws.close();
      reject(new LabError(`exec \`${command.join(' ')}\` in ${namespace}/${pod} did not finish within ${timeoutMs} ms`, 'check the pod and its node are responsive'));
    }, timeoutMs);
    ws.on('close', () => resolve());
    ws.on('error', reject);
  }).finally(() => clearTimeout(timer));
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ...status };
}

/**
 * GET `path` of the kubeconfig's server (or of `server`, one API server of several) with its
 * credentials. A request silent for `timeoutMs` is destroyed: one in flight when its node went
 * away would otherwise wait on the dead connection forever, and keep the process from exiting.
 * Network errors reject.
 */
export async function apiGet(kc: KubeConfig, path: string, timeoutMs = 5000, server = kc.getCurrentCluster()?.server): Promise<{ status: number; body: string }> {
  if (!server) throw new LabError('the kubeconfig names no current cluster', 'set current-context in the kubeconfig');
  const url = new URL(path, server);
  // The client library's HTTPS options leave out the kubeconfig's tls-server-name (its own calls
  // honour it): a server behind the lab's front door is named in its certificate by the API name.
  const opts: https.RequestOptions = { servername: kc.getCurrentCluster()?.tlsServerName };
  await kc.applyToHTTPSOptions(opts);
  const get = url.protocol === 'http:' ? http.get : https.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { ...opts, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body })).on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`))).on('error', reject);
  });
}

/**
 * GET /healthz of the kubeconfig's server: ok only on HTTP 200 "ok". Network errors reject. The
 * answer waits for the apiserver's etcd check, up to 12 s under TCG (--etcd-healthcheck-timeout).
 */
export async function apiHealthz(kc: KubeConfig, timeoutMs = 30_000): Promise<{ ok: boolean; status: number; body: string }> {
  const { status, body } = await apiGet(kc, '/healthz', timeoutMs);
  return { ok: status === 200 && body.trim() === 'ok', status, body: body.trim() };
}
