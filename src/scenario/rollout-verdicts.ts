import { clock, FIELD, type Instant, type RolloutRecord, type View } from './rollout-record.js';

/**
 * What a rollout record says about the rollout, pure: each verdict says which node did what
 * when, from the record, so a failure reads without the timeline (which has the rest).
 */

/** A check's verdict: a finding, or what broke. */
export type Verdict = { ok: true; finding: string } | { ok: false; problem: string };
/** A wait's: done, not yet (and where things stand), or never (waiting longer cannot help). */
export type Progress = { state: 'done'; finding: string } | { state: 'pending'; now: string } | { state: 'failed'; problem: string };

const ok = (finding: string): Verdict => ({ ok: true, finding });
const broken = (problem: string): Verdict => ({ ok: false, problem });

/**
 * What takes a node out of service: cordoned, allowed to reboot (the agent then drains it) or
 * rebooting. The operator's selection (before-reboot) is not: it picks the next node in the same
 * pass that releases the last, while that one's agent has yet to uncordon it, and drains nothing.
 */
export function outOfService(v: View): string[] {
  return [
    v[FIELD.unschedulable] === 'true' && 'cordoned',
    v[FIELD.rebootOk] === 'true' && 'reboot-ok',
    v[FIELD.rebootInProgress] === 'true' && 'reboot-in-progress',
  ].filter((x): x is string => x !== false);
}

/** Since when each node out of service at an instant has been, replayed over the instants. */
function replayOutOfService(instants: readonly Instant[], onInstant: (inst: Instant, since: ReadonlyMap<string, number>) => string | undefined): string | undefined {
  const since = new Map<string, number>();
  for (const inst of instants) {
    for (const [name, view] of inst.nodes) {
      const out = outOfService(view).length > 0;
      if (out && !since.has(name)) since.set(name, inst.at);
      if (!out) since.delete(name);
    }
    for (const name of since.keys()) if (!inst.nodes.has(name)) since.delete(name);
    const stop = onInstant(inst, since);
    if (stop) return stop;
  }
  return undefined;
}

const describeOut = (inst: Instant, since: ReadonlyMap<string, number>) =>
  [...since].map(([name, at]) => `${name} ${outOfService(inst.nodes.get(name)!).join(', ')} since ${clock(at)}`).join('; ');

/** Never two nodes out of service at once, at any instant the watch saw. */
export function oneAtATime(record: RolloutRecord): Verdict {
  const turns: { name: string; from: number; to?: number }[] = [];
  const problem = replayOutOfService(record.instants, (inst, since) => {
    if (since.size > 1) return `${[...since.keys()].join(' and ')} were out of service at once at ${clock(inst.at)}: ${describeOut(inst, since)}`;
    const last = turns.at(-1);
    if (last && last.to === undefined && !since.has(last.name)) last.to = inst.at;
    for (const [name, from] of since) if (last?.name !== name || last.from !== from) turns.push({ name, from });
    return undefined;
  });
  if (problem) return broken(problem);
  const described = turns.map((x) => `${x.name} ${clock(x.from)}-${x.to === undefined ? 'on' : clock(x.to)}`);
  return ok(turns.length ? `one node at a time out of service: ${described.join(', ')}` : 'no node was cordoned, allowed to reboot or rebooting while watched');
}

/** The times a node came back with a new boot id since `from`. */
const reboots = (record: RolloutRecord, name: string, from: number) =>
  record.changesOf(FIELD.bootId, from, name).filter((c) => c.from !== undefined && c.to !== undefined).map((c) => c.at);

const times = (ats: number[]) => ats.map(clock).join(', ');

/** Where a node stands, in a few words: its version, the agent's status, its reboots, what holds it. */
function standing(name: string, v: View | undefined, rebootedAt: number[]): string {
  if (!v) return `${name} not seen`;
  const status = v[FIELD.status]?.replace(/^UPDATE_STATUS_/, '');
  const notes = [
    rebootedAt.length ? `rebooted at ${times(rebootedAt)}` : 'not rebooted',
    ...outOfService(v),
    ...[FIELD.beforeReboot, FIELD.afterReboot].filter((f) => v[f] === 'true').map((f) => f.slice('label/'.length)),
    ...(v[FIELD.ready] === 'True' ? [] : [`Ready=${v[FIELD.ready] ?? 'unknown'}`]),
  ];
  return `${name} on ${v[FIELD.version] ?? '?'}${status ? ` (${status})` : ''}, ${notes.join(', ')}`;
}

/**
 * The rollout of `version` is done: since it was published every node rebooted exactly once
 * (a new boot id), reports that version (the agent's os-release label), is Ready and back in
 * service, and the operator is through with it.
 */
export function rolloutDone(record: RolloutRecord, nodes: readonly string[], version: string): Progress {
  const from = record.published.get(version);
  if (from === undefined) return { state: 'failed', problem: `${version} was not published while the rollout was watched` };
  const { nodes: now } = record.now;
  const lines: string[] = [];
  let done = true;
  for (const name of nodes) {
    const v = now.get(name);
    const at = reboots(record, name, from);
    const failed = v?.[FIELD.updateFailed];
    if (failed) {
      const marked = record.changesOf(FIELD.updateFailed, from, name).at(-1);
      return { state: 'failed', problem: `${name} failed its update to ${failed}: the guard marked it update-failed at ${marked ? clock(marked.at) : 'before the watch'} (${standing(name, v, at)})` };
    }
    if (at.length > 1) return { state: 'failed', problem: `${name} rebooted ${at.length} times since ${version} was published at ${clock(from)}: new boot ids at ${times(at)}` };
    const finished =
      at.length === 1 && v?.[FIELD.version] === version && v[FIELD.ready] === 'True' && outOfService(v).length === 0 && v[FIELD.beforeReboot] !== 'true' && v[FIELD.afterReboot] !== 'true';
    done &&= finished;
    lines.push(finished ? `${name} rebooted at ${clock(at[0]!)}` : standing(name, v, at));
  }
  if (!done) return { state: 'pending', now: lines.join('; ') };
  return { state: 'done', finding: `every node on ${version}, Ready and in service, each rebooted once since ${clock(from)}: ${lines.join(', ')}` };
}

/**
 * The rollout of `version` is paused on a failed update: the first node allowed to reboot into
 * it came back on its old version and the guard marked it update-failed, every other node is
 * paused for it, and no second node took `version`.
 */
export function rolloutPaused(record: RolloutRecord, nodes: readonly string[], version: string): Progress {
  const from = record.published.get(version);
  if (from === undefined) return { state: 'failed', problem: `${version} was not published while the rollout was watched` };
  const booted = record.changesOf(FIELD.version, from).find((c) => c.to === version);
  if (booted) return { state: 'failed', problem: `${booted.name} booted ${version} at ${clock(booted.at)}, which was to fail` };
  const allowed = record.changesOf(FIELD.rebootOk, from).filter((c) => c.to === 'true');
  const second = allowed.find((c) => c.name !== allowed[0]!.name);
  if (second) {
    return { state: 'failed', problem: `a second node took ${version}: ${second.name} got reboot-ok at ${clock(second.at)}, after ${allowed[0]!.name} at ${clock(allowed[0]!.at)}` };
  }
  const { nodes: now } = record.now;
  const failed = nodes.filter((n) => now.get(n)?.[FIELD.updateFailed] === version);
  if (failed.length > 1) return { state: 'failed', problem: `${failed.join(' and ')} all failed ${version}, and only the first should have been let go` };
  const standings = nodes.map((n) => standing(n, now.get(n), reboots(record, n, from))).join('; ');
  const [bad] = failed;
  if (!bad) return { state: 'pending', now: `no node marked update-failed=${version} yet: ${standings}` };
  const others = nodes.filter((n) => n !== bad);
  const unpaused = others.filter((n) => now.get(n)?.[FIELD.rebootPaused] !== 'true' || now.get(n)?.[FIELD.pausedFor] !== bad);
  if (unpaused.length) return { state: 'pending', now: `${bad} failed ${version}; not paused for it yet: ${unpaused.join(', ')} (${standings})` };
  const marked = record.changesOf(FIELD.updateFailed, from, bad).at(-1)!;
  const paused = others.map((n) => `${n} at ${clock(record.changesOf(FIELD.rebootPaused, from, n).at(-1)?.at ?? from)}`);
  return {
    state: 'done',
    finding: `${bad} failed ${version}: back on ${now.get(bad)?.[FIELD.version] ?? '?'} after rebooting at ${times(reboots(record, bad, from)) || 'no new boot id'}, marked update-failed at ${clock(marked.at)}; paused for it: ${paused.join(', ')}; no other node took ${version}`,
  };
}

/**
 * The budget never lost a pod it protects: once its desired pods were first healthy, every
 * instant has at least that many healthy. A failure names the nodes out of service then.
 */
export function budgetKept(record: RolloutRecord, budget: string): Verdict {
  let whole = false;
  let lowest: { at: number; healthy: number; desired: number } | undefined;
  const problem = replayOutOfService(record.instants, (inst, out) => {
    const v = inst.budgets.get(budget);
    if (!v?.[FIELD.currentHealthy] || !v[FIELD.desiredHealthy]) return undefined;
    const [healthy, desired] = [Number(v[FIELD.currentHealthy]), Number(v[FIELD.desiredHealthy])];
    if (healthy >= desired) whole = true;
    if (!whole) return undefined;
    if (!lowest || healthy < lowest.healthy) lowest = { at: inst.at, healthy, desired };
    if (healthy >= desired) return undefined;
    return `PodDisruptionBudget ${budget} broken at ${clock(inst.at)}: ${healthy} healthy of ${desired} desired, while ${out.size ? describeOut(inst, out) : 'no node was out of service'}`;
  });
  if (problem) return broken(problem);
  if (!lowest) return broken(`PodDisruptionBudget ${budget} never had its desired pods healthy while watched (last: ${JSON.stringify(record.now.budgets.get(budget) ?? 'not seen')})`);
  return ok(`PodDisruptionBudget ${budget} kept: never below ${lowest.healthy} healthy of ${lowest.desired} desired (first at ${clock(lowest.at)})`);
}

/** Which nodes were out of service at `at`, and since when, as the record replays it. */
function outOfServiceAt(record: RolloutRecord, at: number): string {
  let found = '';
  replayOutOfService(
    record.instants.filter((i) => i.at <= at),
    (inst, since) => void (found = describeOut(inst, since)),
  );
  return found ? `, while ${found}` : ', no node out of service';
}

const percent = (share: number) => `${(100 * share).toFixed(share && share < 0.01 ? 2 : 1)}%`;

/**
 * The workload answered the host's probes within its error budget. Failed probes less than
 * `gapMs` apart make one outage; each is named with the nodes out of service when it began.
 */
export function workloadAnswered(probes: number, failures: readonly number[], errorBudget: number, gapMs: number, record?: RolloutRecord): Verdict {
  if (probes === 0) return broken('the workload was never probed');
  const outages: { from: number; to: number; count: number }[] = [];
  for (const at of failures) {
    const last = outages.at(-1);
    if (last && at - last.to <= gapMs) Object.assign(last, { to: at, count: last.count + 1 });
    else outages.push({ from: at, to: at, count: 1 });
  }
  const share = failures.length / probes;
  const summary = `${failures.length} of ${probes} probes failed (${percent(share)}, budget ${percent(errorBudget)})`;
  const described = outages.map((o) => `${clock(o.from)}-${clock(o.to)} (${o.count} probes${record ? outOfServiceAt(record, o.from) : ''})`).join('; ');
  if (share > errorBudget) return broken(`${summary}: no node answered ${described}`);
  return ok(outages.length ? `${summary}: no node answered ${described}` : `all ${probes} probes answered`);
}
