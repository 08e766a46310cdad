import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ExecutionContext } from 'ava';
import { DEFAULT_KUBE_VERSION } from '../../../src/ground/cluster.js';
import { CLUSTER_DNS_SCRIPT, clusterDnsObjects } from '../../../src/render/bootkube/cluster-dns.js';
import { POD_NETWORK_SCRIPT } from '../../../src/render/bootkube/pod-network.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { ENVTEST_NEEDS, fileEnvtest, findKubeBinDir } from '../../support/envtest.js';
import { needs } from '../../support/needs.js';

/**
 * The add-ons' programs, run here against a real kube-apiserver (envtest) with the lab's kubectl:
 * the pod network's routes and CNI config follow the Node objects, and the cluster DNS's dnsmasq
 * (a real one, on loopback) answers for the Services as they come and go. The commands that
 * would change this host (ip route, a signal to every dnsmasq) are stand-ins that record or aim
 * at this test's own process.
 */

const test = needs(...ENVTEST_NEEDS);
const envtest = fileEnvtest(test);

const soon = { deadline: Date.now() + 60_000, intervalMs: 200 };

/** A dir of commands for PATH: the lab's kubectl, and the stand-ins given as sh scripts. */
async function binDir(t: ExecutionContext, standIns: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'addons-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'bin'));
  await symlink(path.join(findKubeBinDir()!, 'kubectl'), path.join(dir, 'bin/kubectl'));
  for (const [name, body] of Object.entries(standIns)) {
    await writeFile(path.join(dir, 'bin', name), `#!/bin/sh\n${body}\n`);
    await chmod(path.join(dir, 'bin', name), 0o755);
  }
  return dir;
}

/** `sh -c script` in a process group of its own: stopping it stops its kubectl watch too. */
function runScript(t: ExecutionContext, script: string, dir: string, vars: Record<string, string>): ChildProcess {
  const child = spawn('sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    // HOME: kubectl keeps its discovery cache under it, which is not the checkout's business.
    env: { PATH: `${dir}/bin:/usr/bin:/bin`, HOME: dir, KUBECONFIG: envtest.env().kubeconfig, ...vars },
  });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return child;
}

async function node(name: string, podCIDR: string, ip: string): Promise<void> {
  const core = envtest.kc().makeApiClient(CoreV1Api);
  const created = await core.createNode({ body: { metadata: { name }, spec: { podCIDR } } });
  created.status = { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] };
  await core.replaceNodeStatus({ name, body: created });
}

/**
 * `ip route` on a table of this test's own: `show` prints a route as busybox's ip does, `replace`
 * and `del` change the table and are logged to IP_LOG.
 */
const IP_ROUTE_STAND_IN = `[ "$1" = route ] || exit 1
case "$2" in
  show) grep "^$3 " "$ROUTES" 2>/dev/null; exit 0 ;;
  replace) { grep -v "^$3 " "$ROUTES" 2>/dev/null; echo "$3 via $5 dev ens2 "; } > "$ROUTES.new" ;;
  del) grep -v "^$3 " "$ROUTES" > "$ROUTES.new" ;;
esac
mv "$ROUTES.new" "$ROUTES"
echo "$*" >> "$IP_LOG"`;

test.serial('pod network: the node\'s own /24 into the CNI config, a route to every other node\'s, also one that joins later, and one the kernel flushed', async (t) => {
  const dir = await binDir(t, { ip: IP_ROUTE_STAND_IN });
  const ipLog = path.join(dir, 'ip.log');
  const conf = path.join(dir, '10-metal-lab.conflist');
  await node('c1', '10.2.0.0/24', '10.6.0.10');
  await node('w1', '10.2.1.0/24', '10.6.0.11');
  const table = path.join(dir, 'routes');
  runScript(t, POD_NETWORK_SCRIPT, dir, { NODE_NAME: 'c1', CNI_CONF: conf, IP_LOG: ipLog, ROUTES: table });
  const routes = async () => (await readFile(ipLog, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

  await waitFor('the CNI config and the route to w1', async () => ((await routes()).length === 1 && (await readFile(conf, 'utf8').catch(() => ''))) || pending(String(await routes())), soon);
  const cni = JSON.parse(await readFile(conf, 'utf8')) as { plugins: { type: string; ipam?: { ranges: { subnet: string }[][] } }[] };
  t.deepEqual(cni.plugins.map((p) => p.type), ['bridge', 'portmap']);
  t.is(cni.plugins[0]!.ipam!.ranges[0]![0]!.subnet, '10.2.0.0/24');
  t.deepEqual(await routes(), ['route replace 10.2.1.0/24 via 10.6.0.11']);

  // A node that joins later; a heartbeat of w1 changes nothing.
  await node('w2', '10.2.2.0/24', '10.6.0.12');
  const core = envtest.kc().makeApiClient(CoreV1Api);
  const w1 = await core.readNode({ name: 'w1' });
  w1.status!.conditions = [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }];
  await core.replaceNodeStatus({ name: 'w1', body: w1 });
  await waitFor('the route to w2', async () => (await routes()).includes('route replace 10.2.2.0/24 via 10.6.0.12') || pending(String(await routes())), soon);

  await core.deleteNode({ name: 'w2' });
  await waitFor('the route to w2 removed', async () => (await routes()).includes('route del 10.2.2.0/24 via 10.6.0.12') || pending(String(await routes())), soon);
  t.deepEqual(await routes(), ['route replace 10.2.1.0/24 via 10.6.0.11', 'route replace 10.2.2.0/24 via 10.6.0.12', 'route del 10.2.2.0/24 via 10.6.0.12']);

  // The link went down and up, so the kernel dropped the route: w1's next event brings it back.
  await writeFile(table, '');
  const w1Now = await core.readNode({ name: 'w1' });
  w1Now.status!.conditions![0]!.lastHeartbeatTime = new Date(Date.now() + 1000);
  await core.replaceNodeStatus({ name: 'w1', body: w1Now });
  await waitFor('the route to w1 again', async () => (await routes()).length === 4 || pending(String(await routes())), soon);
  t.is((await routes())[3], 'route replace 10.2.1.0/24 via 10.6.0.11');
  t.is((await readFile(table, 'utf8')).trim(), '10.2.1.0/24 via 10.6.0.11 dev ens2');
});

test.serial('cluster DNS: dnsmasq answers for every Service in cluster.local as Services come and go, and for nothing else', async (t) => {
  const dir = await binDir(t, { killall: '[ "$1" = -HUP ] && [ "$2" = dnsmasq ] && kill -HUP "$(cat "$DNSMASQ_PID")"' });
  const hosts = path.join(dir, 'services');
  const pidFile = path.join(dir, 'dnsmasq.pid');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // The Deployment's own dnsmasq command line, on loopback and with this test's files.
  const deployment = clusterDnsObjects(DEFAULT_KUBE_VERSION).find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { name: string; command: string[] }[] } } } };
  const command = deployment.spec.template.spec.containers.find((c) => c.name === 'dnsmasq')!.command.map((a) =>
    a.startsWith('--addn-hosts=') ? `--addn-hosts=${hosts}` : a.startsWith('--pid-file=') ? `--pid-file=${pidFile}` : a);
  const dnsmasq = spawn(command[0]!, [...command.slice(1), '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`], { stdio: 'ignore' });
  t.teardown(() => void dnsmasq.kill('SIGKILL'));
  runScript(t, CLUSTER_DNS_SCRIPT, dir, { HOSTS: hosts, DOMAIN: 'cluster.local', DNSMASQ_PID: pidFile });

  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const lookup = (name: string) => resolver.resolve4(name).then((a) => a.join(','), (err: NodeJS.ErrnoException) => err.code ?? 'error');
  await waitFor('kubernetes.default.svc.cluster.local', async () => (await lookup('kubernetes.default.svc.cluster.local')) === '10.3.0.1' || pending(await lookup('kubernetes.default.svc.cluster.local')), soon);

  const core = envtest.kc().makeApiClient(CoreV1Api);
  const web = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { ports: [{ port: 8080 }] } } });
  await waitFor('web.default.svc.cluster.local', async () => (await lookup('web.default.svc.cluster.local')) === web.spec!.clusterIP || pending(await lookup('web.default.svc.cluster.local')), soon);
  t.is(await lookup('web.other.svc.cluster.local'), 'ENOTFOUND', 'a name in the cluster domain that is no Service');
  t.is(await lookup('example.org'), 'EREFUSED', 'nothing outside the cluster domain');

  await core.deleteNamespacedService({ name: 'web', namespace: 'default' });
  await waitFor('web gone from DNS', async () => (await lookup('web.default.svc.cluster.local')) === 'ENOTFOUND' || pending(await lookup('web.default.svc.cluster.local')), soon);
  t.pass();
});
