import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { IGNITION_VALIDATE, ignitionValidate, KUBE_ASSETS, nodeIgnition, text } from '../../support/node-ignition.js';
import { needs, program } from '../../support/needs.js';

const { lab, dir, pki, render } = await nodeIgnition('bootstrap', KUBE_ASSETS);

needs(IGNITION_VALIDATE)('Kubernetes node configs pass Debian\'s ignition-validate', async (t) => {
  for (const n of lab.nodes) {
    const r = await ignitionValidate(dir, render(n.name));
    t.is(r.exitCode, 0, r.output);
    t.is(r.output.trim(), '');
  }
});

test('the apiserver checkpoint script parses as shell', async (t) => {
  const script = path.join(dir, 'checkpoint.sh');
  await fs.writeFile(script, text(render('node1'), '/opt/bin/kube-apiserver-checkpoint'));
  t.is((await execa('sh', ['-n', script], { reject: false })).exitCode, 0);
});

test('an activated checkpoint advertises its node\'s address: the rendered static pod, through the unit\'s sed', async (t) => {
  const { renderBootkubeAssets } = await import('../../../src/render/bootkube/index.js');
  const { checkpointSed } = await import('../../../src/render/ignition-kube.js');
  const { parse } = await import('yaml');
  const saved = path.join(dir, 'kube-apiserver.yaml');
  await fs.writeFile(saved, renderBootkubeAssets(lab, pki, { timeoutScale: 1 }).get('checkpoints/kube-apiserver.yaml')!);
  const node1 = lab.nodes.find((n) => n.name === 'node1')!;
  const r = await execa('sed', [checkpointSed(node1), saved]);
  const pod = parse(r.stdout) as { spec: { containers: Array<{ command: string[] }> } };
  const command = pod.spec.containers[0]!.command;
  t.is(command[0], 'kube-apiserver');
  t.is(command[1], '--advertise-address=172.24.0.21');
  t.is(command.filter((f) => f.startsWith('--advertise-address')).length, 1);
});

needs(program('jq', 'jq'))('the checkpoint\'s parent is a DaemonSet kube-apiserver pod not being deleted, and it runs once started since this boot (real jq)', async (t) => {
  const { CHECKPOINT_PARENT_KNOWN, CHECKPOINT_PARENT_RUNNING } = await import('../../../src/render/ignition-kube.js');
  const boot = Date.parse('2026-11-27T06:00:00Z') / 1000;
  const pod = (name: string, o: { startedAt?: string; owner?: string; deleting?: boolean } = {}) => ({
    metadata: {
      name,
      ...(o.owner ? { ownerReferences: [{ kind: o.owner, name: 'kube-apiserver' }] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2026-11-27T06:05:00Z' } : {}),
    },
    status: { phase: 'Running', containerStatuses: o.startedAt ? [{ state: { running: { startedAt: o.startedAt } } }] : [] },
  });
  const holds = (filter: string) => async (...items: object[]) =>
    (await execa('jq', ['-e', '--argjson', 'boot', String(boot), filter], { input: JSON.stringify({ items }), reject: false })).exitCode === 0;
  const [parent, known] = [holds(CHECKPOINT_PARENT_RUNNING), holds(CHECKPOINT_PARENT_KNOWN)];
  t.true(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T06:01:00Z' })));
  t.false(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T05:59:00Z' })), 'still Running in the API from before the reboot');
  t.false(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T06:01:00Z', deleting: true })), 'in its grace period');
  t.false(await parent(pod('kube-apiserver-checkpoint-node1', { startedAt: '2026-11-27T06:01:00Z' })), 'the checkpoint\'s own mirror pod');
  t.false(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet' })), 'no container running yet');
  t.false(await parent());

  // What the kubelet has keeps the checkpoint off: it restarts its own pod with no API.
  t.true(await known(pod('kube-apiserver-abcde', { owner: 'DaemonSet' })), 'a pod the kubelet has, not started yet');
  t.true(await known(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T05:59:00Z' })));
  t.false(await known(pod('kube-apiserver-abcde', { owner: 'DaemonSet', deleting: true })), 'a deleted pod the kubelet is stopping');
  t.false(await known(pod('kube-apiserver-checkpoint-node1', { startedAt: '2026-11-27T06:01:00Z' })));
  t.false(await known());
  const empty = async (filter: string) => (await execa('jq', ['-e', '--argjson', 'boot', String(boot), filter], { input: '{"items":null}', reject: false })).stderr;
  t.is(await empty(CHECKPOINT_PARENT_KNOWN), '', 'a kubelet with no pods lists null: no, and no error in the journal');
  t.is(await empty(CHECKPOINT_PARENT_RUNNING), '');
});

/**
 * The rendered checkpoint script, run for real: its node paths moved under a temporary root, its
 * round's pause cut to 50 ms, and kubectl, curl and pidof replaced by stubs that log each call and
 * answer from files the test writes (the kubelet's pods, the API's pods, the apiserver's PID).
 */
async function checkpointLoop(t: ExecutionContext) {
  const { NODE_PATHS } = await import('../../../src/ground/cluster.js');
  const root = await fs.mkdtemp(path.join(dir, 'checkpoint-'));
  const at = (...p: string[]) => path.join(root, ...p);
  await Promise.all(['bin', 'checkpoints', 'manifests'].map((d) => fs.mkdir(at(d))));
  const script = text(render('node1'), '/opt/bin/kube-apiserver-checkpoint')
    .replaceAll(`${NODE_PATHS.bin}/kubectl`, at('bin', 'kubectl'))
    .replaceAll(NODE_PATHS.checkpoints, at('checkpoints'))
    .replaceAll(NODE_PATHS.staticPods, at('manifests'));
  const stub = (name: string, body: string) => fs.writeFile(at('bin', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  await stub('kubectl', `echo kubectl >> ${at('calls')}; cat ${at('api-pods.json')} 2>/dev/null || exit 1`);
  await stub('curl', `case "$*" in
  */pods*) echo kubelet >> ${at('calls')}; cat ${at('kubelet-pods.json')} 2>/dev/null || exit 7 ;;
  *healthz*) echo healthz >> ${at('calls')}; [ -f ${at('api-up')} ] || exit 7 ;;
esac`);
  await stub('pidof', `cat ${at('apiserver.pid')} 2>/dev/null || exit 1`);
  await stub('sleep', `echo round >> ${at('calls')}; exec /bin/sleep 0.05`);
  await fs.writeFile(at('checkpoints', 'kube-apiserver.yaml'), 'kind: Pod\n');
  await fs.writeFile(at('checkpoint.sh'), script);

  const dsPod = { metadata: { name: 'kube-apiserver-abcde', ownerReferences: [{ kind: 'DaemonSet' }] }, status: { containerStatuses: [{ state: { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } } }] } };
  const run = execa('sh', [at('checkpoint.sh')], { env: { PATH: `${at('bin')}:${process.env.PATH}` }, reject: false });
  let out = '';
  run.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => void run.kill('SIGKILL'));
  const calls = async (what: string) => (await fs.readFile(at('calls'), 'utf8').catch(() => '')).split('\n').filter((l) => l === what).length;
  const until = async (what: string, cond: () => Promise<boolean>) => {
    for (const end = Date.now() + 15_000; !(await cond()); ) {
      if (Date.now() > end) throw new Error(`the checkpoint loop never got to: ${what}; its output: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const rounds = async (n: number) => {
    const from = await calls('round');
    await until(`${n} more rounds`, async () => (await calls('round')) >= from + n);
  };
  const active = () => fs.access(at('manifests', 'kube-apiserver-checkpoint.yaml')).then(() => true, () => false);
  return { at, pods: JSON.stringify({ items: [dsPod] }), calls, until, rounds, active, out: () => out };
}

needs(program('jq', 'jq'))('the checkpoint watches a running apiserver through /proc alone, asks the kubelet and then the API once it is gone, activates after three silent rounds, and gives way to the DaemonSet\'s pod', async (t) => {
  const loop = await checkpointLoop(t);
  await fs.writeFile(loop.at('kubelet-pods.json'), loop.pods);
  await loop.rounds(5);
  t.true((await loop.calls('kubelet')) >= 4, 'the kubelet is asked each round while no apiserver process is known');
  t.is(await loop.calls('kubectl'), 0, 'no kubectl while the kubelet holds the pod');

  // A process named kube-apiserver (a copy of sleep): once pidof has found it, a round starts nothing.
  await fs.copyFile('/bin/sleep', loop.at('kube-apiserver'));
  const apiserver = execa(loop.at('kube-apiserver'), ['600'], { reject: false });
  t.teardown(() => void apiserver.kill('SIGKILL'));
  await fs.writeFile(loop.at('apiserver.pid'), `${apiserver.pid}\n`);
  await loop.rounds(2);
  const asked = await loop.calls('kubelet');
  await loop.rounds(5);
  t.is(await loop.calls('kubelet'), asked, 'nothing asked while the apiserver process lives');
  apiserver.kill('SIGKILL');
  await fs.rm(loop.at('apiserver.pid'));
  await loop.until('the kubelet asked again', async () => (await loop.calls('kubelet')) > asked);

  // The kubelet lost its pod and nothing answers: the API is asked too, and after three rounds the checkpoint runs.
  await fs.rm(loop.at('kubelet-pods.json'));
  await loop.until('the checkpoint activated', loop.active);
  t.true((await loop.calls('kubectl')) >= 3, 'the API is the last guard of each silent round');
  t.regex(loop.out(), /no kube-apiserver answers on \S+: checkpoint activated/);

  // The DaemonSet's pod runs again, started since this boot: the checkpoint is removed.
  await fs.writeFile(loop.at('api-pods.json'), loop.pods);
  await fs.writeFile(loop.at('kubelet-pods.json'), loop.pods);
  await loop.until('the checkpoint removed', async () => !(await loop.active()));
  t.regex(loop.out(), /kube-apiserver DaemonSet pod Running on \S+: checkpoint removed/);
  const kubectl = await loop.calls('kubectl');
  await loop.rounds(5);
  t.is(await loop.calls('kubectl'), kubectl, 'back to the local checks');
});
