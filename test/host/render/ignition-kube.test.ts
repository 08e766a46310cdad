import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
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
});
