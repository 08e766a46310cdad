import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { LabLayout } from '../ground/host-layout.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import { bootServerPids } from '../ground/processes.js';
import { selfCommand } from './self.js';

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).trim() === 'matchbox';
  } catch {
    return false;
  }
}

/** The lab's embedded Matchbox server runs as a detached process so the lab outlives `up`. */
export async function ensureBootServer(lab: LabSpec, p: LabLayout): Promise<'created' | 'unchanged'> {
  const url = labModel(lab).bootServerUrl;
  if ((await bootServerPids(p)).length > 0 && (await answers(url))) return 'unchanged';
  const self = selfCommand();
  const log = fs.openSync(p.serverLog, 'a');
  const child = spawn(
    self.file,
    [...self.args, 'matchbox', 'serve', '--data', p.matchboxData, '--assets', p.matchboxAssets,
      '--address', `${lab.bootServer.address}:${lab.bootServer.port}`, '--request-log', p.requestLog],
    { detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  child.unref();
  fs.writeFileSync(p.serverPid, `${child.pid}\n`);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await answers(url)) return 'created';
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = fs.readFileSync(p.serverLog, 'utf8').trim().split('\n').slice(-3).join(' | ');
  throw new Error(`boot server did not come up at ${url}: ${tail} (log: ${p.serverLog})`);
}
