import fs from 'node:fs/promises';
import type { HostLayout, LabLayout } from '../ground/host-layout.js';
import type { Accel, LabSpec } from '../ground/lab-spec.js';
import type { LabInputs } from './lab-inputs.js';

/** What `up` records about a lab, so later commands can find it by id alone. */
export interface LabState {
  id: string;
  /** The lab as it was brought up: later commands use it even if the file changed since. */
  lab: LabSpec;
  accel: Accel;
  timeoutScale: number;
  createdAt: string;
  /** What it was made from (a snapshot's key); absent in the state of a lab brought up before snapshots. */
  inputs?: LabInputs;
}

export async function writeLabState(paths: Pick<LabLayout, 'state'>, state: LabState): Promise<void> {
  await fs.writeFile(`${paths.state}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await fs.rename(`${paths.state}.tmp`, paths.state);
}

export async function readLabState(paths: Pick<LabLayout, 'state'>): Promise<LabState | undefined> {
  try {
    return JSON.parse(await fs.readFile(paths.state, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Ids of labs that have a state dir on this host. */
export async function knownLabIds(host: HostLayout): Promise<string[]> {
  return fs.readdir(host.labsDir).catch(() => []);
}
