import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { LabLayout } from '../ground/host-layout.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import { bootServerPids } from '../ground/processes.js';
import { selfCommand } from './self.js';
import { LabError } from '../errors.js';
import { lastLines } from '../toolkit/command-error.js';
import { waitFor } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';

/** Whether the lab's boot server answers at `url` (its root says "matchbox"). */
export async function bootServerAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).trim() === 'matchbox';
  } catch {
    return false;
  }
}

/** How long the boot server waits for the lab bridge's address: `up` starts it beside the network. */
const AWAIT_ADDRESS_S = 30;

/**
 * The lab's embedded Matchbox server runs as a detached process so the lab outlives `up`. In a
 * Kubernetes lab the same process keeps the host's API front door (src/kube/api-front-door.ts).
 * It may start before the lab network: it binds once the bridge has its address, and only then,
 * when its log says it serves, is it asked over the network, which by then is this machine's.
 */
export async function ensureBootServer(lab: LabSpec, p: LabLayout): Promise<'created' | 'unchanged'> {
  const url = labModel(lab).bootServerUrl;
  if ((await bootServerPids(p)).length > 0 && (await bootServerAnswers(url))) return 'unchanged';
  const self = selfCommand();
  const log = fs.openSync(p.serverLog, 'a');
  const logFrom = fs.fstatSync(log).size;
  const child = spawn(
    self.file,
    [...self.args, 'matchbox', 'serve', '--data', p.matchboxData, '--assets', p.matchboxAssets,
      '--address', `${lab.bootServer.address}:${lab.bootServer.port}`, '--await-address', String(AWAIT_ADDRESS_S), '--request-log', p.requestLog,
      ...(lab.bootServer.strict ? ['--strict', lab.nodes.map((n) => `${n.mac}=${n.ip}`).join(',')] : []),
      ...(lab.kubernetes ? ['--api-front-door', lab.kubernetes.apiName] : [])],
    { detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  child.unref();
  fs.writeFileSync(p.serverPid, `${child.pid}\n`);
  const fix = `read its log at ${p.serverLog}`;
  const ownLog = () => fs.readFileSync(p.serverLog).subarray(logFrom).toString('utf8');
  await waitFor(`the boot server to answer at ${url}`, async () => {
    if (ownLog().includes('matchbox: serving') && (await bootServerAnswers(url))) return true;
    if (child.exitCode !== null) throw new LabError(`the boot server exited (code ${child.exitCode}) instead of serving ${url}: ${lastLines(ownLog())}`, fix);
    return undefined;
  }, { deadline: labNow() + (AWAIT_ADDRESS_S + 15) * 1000, intervalMs: 50, fatal: () => true, evidence: () => [p.serverLog, lastLines(ownLog())], fix });
  return 'created';
}
