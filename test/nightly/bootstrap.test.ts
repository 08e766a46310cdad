import { artifactsDir, assertNothingLeft, cli, ownLab, readTimeline, runInTest } from '../e2e/helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';
import { takingTurns } from '../support/taking-turns.js';

const e2e = needs(virsh, libvirtd);

e2e('bootstrap on lab/update.yaml: kubelets, bootkube pivot to a self-hosted plane saved as a snapshot, pod traffic, apiserver and reboot-all faults', async (t) => {
  t.timeout(90 * 60_000);
  const dir = await artifactsDir(t, 'metal-lab-e2e-bootstrap-');
  await ownLab(t, 'update');
  // From nothing, whatever an earlier run saved: this test is of the pivot. Its snapshot stays for update.test.ts.
  await cli(['down', 'update', '--purge']);
  const r = await takingTurns(() => runInTest(t, ['bootstrap', '--artifacts', dir, '--json']));
  t.log(String(r.all));
  t.is(r.exitCode, 0);
  const timeline = await readTimeline(dir);
  t.true(timeline.ok);
  const ok = (step: string, node?: string) => timeline.events.filter((e) => e.kind === 'step-ok' && e.step === step && e.node === node);
  const messages = timeline.events.map((e) => e.message ?? '');
  t.true(messages.some((m) => m.includes('All self-hosted control plane components successfully started')), 'bootkube says the plane is up');
  t.true(messages.some((m) => m.includes('Tearing down temporary bootstrap control plane')), 'and tears the temporary one down');
  t.is(ok('bootstrap').length, 1);
  t.regex(ok('save bootstrapped')[0]?.message ?? '', /^snapshot bootstrapped of lab update: 3 nodes, .* GiB; the next run resumes from it$/);
  for (const node of ['node1', 'node2', 'node3']) {
    t.is(ok('node-ready', node).length, 1, `${node} Ready`);
    t.is(ok('kubelet-health', node).length, 2, `${node} kubelet healthz, before and after the reboot`);
    t.regex(ok('node-ready', node)[0]?.message ?? '', /Ready=True/);
  }
  // Checked after the pivot, after the apiserver pods were deleted, and after every node rebooted.
  const selfHosted = ok('self-hosted');
  t.is(selfHosted.length, 3);
  for (const e of selfHosted) t.regex(e.message ?? '', /bootstrap pods: none/);
  t.regex(ok('pod-network')[0]?.message ?? '', /node1.*node2|node2.*node1/);
  // The add-ons: from a pod on every node, the API's Service name resolves and a Service answers by its short name.
  for (const node of ['node1', 'node2', 'node3']) {
    t.regex(ok('cluster-dns')[0]?.message ?? '', new RegExp(`@${node}: kubernetes\\.default\\.svc\\.cluster\\.local is 10\\.3\\.0\\.1; http://metal-lab-traffic:8080/ answered by metal-lab-traffic-`));
  }
  t.is(ok('apiserver-recovers').length, 1);
  t.regex(ok('reboot')[0]?.message ?? '', /new boot ids/);
  await assertNothingLeft(t, 'update');
});
