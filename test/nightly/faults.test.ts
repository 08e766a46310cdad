import { assertNothingLeft, runOwnScenario } from '../e2e/helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';

// The fault matrix (scenarios/faults.yaml) on lab/etcd.yaml: the boot server stopped while the
// nodes install, then a link down, a partition, a slow and lossy link, a clock ahead, etcd
// killed, a full disk and a member replaced. Each fault step checks its own recovery and the
// scenario's etcd-writes-kept checks judge the writes; this test reads their findings back.

const e2e = needs(virsh, libvirtd);

e2e('faults on lab/etcd.yaml: every fault recovered from, and no write etcd acknowledged lost', async (t) => {
  t.timeout(150 * 60_000);
  const { timeline } = await runOwnScenario(t, 'faults', 'etcd');
  const ok = (step: string) => timeline.events.filter((e) => e.kind === 'step-ok' && e.step === step).map((e) => e.message ?? '');
  // Each fault and what it cost, as the run reported them, for the record of the run.
  const FAULT_STEP = /^(boot-server|link|partition|heal|netem|kill|clock|disk-|etcd-replace|etcd-writes-kept|pause)/;
  t.log(timeline.events.filter((e) => e.kind === 'step-ok' && FAULT_STEP.test(e.step)).map((e) => `${e.step}${e.node ? ` ${e.node}` : ''}: ${e.message}`).join('\n'));

  // Cut off mid-install, each node still installed exactly once once the server was back.
  t.regex(ok('boot-server stop')[0] ?? '', /^stopped \(pid \d+\); http:\/\/\S+ no longer answers$/);
  t.regex(ok('boot-server start')[0] ?? '', /^started; answering after [\d.]+s$/);
  t.is(ok('installed-once').length, 3);

  t.regex(ok('link down')[0] ?? '', /SSH no longer connects/);
  t.regex(ok('link up')[0] ?? '', /SSH answered again after [\d.]+s/);
  t.regex(ok('partition node1 | node2+node3')[0] ?? '', /^2 drop rules on the lab bridge .*node1, node2, node3 answered SSH from the host/);
  t.regex(ok('heal')[0] ?? '', /^partition lifted/);
  t.regex(ok('netem')[0] ?? '', /netem in force on .*delay 200ms, loss 10%/);
  t.regex(ok('netem clear')[0] ?? '', /netem \(delay 200ms, loss 10%\) cleared/);
  t.regex(ok('clock +300s')[0] ?? '', /^clock .*reads \+(29\d|30[0-2])\.\ds back/);
  t.regex(ok('clock +0s')[0] ?? '', /reads [+-][01]\.\ds back/);
  t.regex(ok('kill etcd')[0] ?? '', /^etcd SIGKILLed \(pid \d+\); .*active again as pid \d+ after [\d.]+s, healthy after [\d.]+s$/);
  t.regex(ok('disk-full')[0] ?? '', /^filled the filesystem holding \/var\/lib\/etcd with .*: a root write is refused/);
  t.regex(ok('disk-free')[0] ?? '', /^gave back the .* fill under \/var\/lib\/etcd/);
  t.regex(ok('etcd-replace')[0] ?? '', /^member \S+ replaced through node\d: .* keys? read back through it in [\d.]+s$/);

  // After each fault every acknowledged write was read back from every member, and writes went on.
  const kept = ok('etcd-writes-kept');
  t.is(kept.length, 7);
  for (const line of kept) t.regex(line, /^since the last check [1-9]\d* writes acknowledged, \d+ refused, .* held by node1, node2, node3/);
  await assertNothingLeft(t, 'etcd');
});
