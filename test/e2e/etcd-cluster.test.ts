import path from 'node:path';
import { hostLayout } from '../../src/ground/host-layout.js';
import { artifactsDir, assertNothingLeft, cli, ownLab, readTimeline, runInTest } from './helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';
import { filesWithPrivateKeys } from '../support/private-keys.js';
import { longestSilence } from '../support/silences.js';
import { takingTurns } from '../support/taking-turns.js';

const e2e = needs(virsh, libvirtd);

e2e('etcd-cluster on lab/etcd.yaml: install once, Ignition, SSH, TLS etcd, a controller lost and back', async (t) => {
  t.timeout(40 * 60_000);
  const dir = await artifactsDir(t, 'metal-lab-e2e-etcd-');
  await ownLab(t, 'etcd');
  await takingTurns(async () => {
    // --keep, so that `metal-lab ssh` can be tried on a live node before the lab goes.
    const run = runInTest(t, ['etcd-cluster', '--artifacts', dir, '--json', '--keep']);
    const silence = longestSilence(run);
    const r = await run;
    t.log(String(r.all));
    t.is(r.exitCode, 0);
    // A workshop user never watches a silent terminal for more than 10 s (the heartbeat is 5 s).
    t.log(`longest silence of the run's progress: ${silence()} ms`);
    t.true(silence() <= 10_000, `silent for ${silence()} ms`);
    const ssh = await cli(['ssh', 'node3', '--lab', 'etcd', '--', 'hostname; systemctl is-active etcd; id -un']);
    t.is(ssh.exitCode, 0, String(ssh.all));
    t.is(String(ssh.stdout).trim(), 'node3\nactive\ncore');
    // Every private key on a node is its owner's alone.
    const keys = await cli(['ssh', 'node1', '--lab', 'etcd', '--', "sudo grep -rlIE -- '-----BEGIN [A-Z ]*PRIVATE KEY-----' /etc /home /root /var/lib | sudo xargs -r stat -c '%a %n'"]);
    t.is(keys.exitCode, 0, String(keys.all));
    const modes = String(keys.stdout).trim().split('\n');
    t.true(modes.some((l) => l.endsWith('/etc/etcd/tls/peer.key')), modes.join('; '));
    t.deepEqual(modes.filter((l) => !/^[46]00 /.test(l)), [], 'private keys are 0600 (or 0400) on the nodes');
    // Ignition carried none of those keys: what the boot server serves to whoever asks, and its logs, hold none.
    const lab = hostLayout().lab('etcd');
    // Its assets/ (kernels, images, hundreds of MB) are built from Debian packages, never from the lab's PKI.
    const assets = path.join(lab.matchboxData, 'assets');
    t.deepEqual(await filesWithPrivateKeys(lab.matchboxData, (f) => !f.startsWith(`${assets}/`)), [], 'served configs');
    t.deepEqual(await filesWithPrivateKeys(path.dirname(lab.requestLog), (f) => f === lab.requestLog || f === lab.serverLog), [], 'request and server logs');
    const failing = await cli(['ssh', 'node1', '--lab', 'etcd', '--', 'exit 7']);
    t.is(failing.exitCode, 7, 'the remote exit code is ours');
    t.is((await cli(['down', 'etcd'])).exitCode, 0);
  });
  const timeline = await readTimeline(dir);
  t.true(timeline.ok);
  const passed = (step: string, node?: string) =>
    timeline.events.some((e) => e.kind === 'step-ok' && e.step === step && e.node === node);
  for (const node of ['node1', 'node2', 'node3']) {
    for (const step of ['reached installed', 'installed-once', 'reached ssh', 'copy-secrets', 'reached etcd-health']) t.true(passed(step, node), `${node}: ${step}`);
  }
  for (const step of ['etcd-members', 'etcd-replication', 'etcd-from-host', 'etcd-caught-up']) t.true(passed(step), step);
  t.true(passed('power off', 'node2'));
  t.true(passed('power on', 'node2'));
  // The key written while node2 was off is on node2 now.
  const caughtUp = timeline.events.find((e) => e.kind === 'step-ok' && e.step === 'etcd-caught-up');
  t.regex(caughtUp?.message ?? '', /^2 keys on all 3 controllers$/);
  // The run's logs, report and artifacts carry no private key, though the nodes got theirs.
  t.deepEqual(await filesWithPrivateKeys(dir), []);
  await assertNothingLeft(t, 'etcd');
});
