import fs from 'node:fs/promises';
import { labPaths, stateRoot } from './paths.js';
import type { Accel, LabSpec } from '../ground/lab-spec.js';
import path from 'node:path';

/** What `up` records about a lab, so later commands can find it by id alone. */
export interface LabState {
  id: string;
  /** The lab as it was brought up: later commands use it even if the file changed since. */
  lab: LabSpec;
  accel: Accel;
  timeoutScale: number;
  createdAt: string;
}

export async function writeLabState(state: LabState): Promise<void> {
  const file = labPaths(state.id).state;
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await fs.rename(`${file}.tmp`, file);
}

export async function readLabState(id: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await fs.readFile(labPaths(id).state, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Ids of labs that have a state dir on this host. */
export async function knownLabIds(): Promise<string[]> {
  return fs.readdir(path.join(stateRoot(), 'labs')).catch(() => []);
}
