import fs from 'node:fs';
import { loadLab, resolveLabFile } from '../spec/lab.js';
import { knownLabIds, readLabState } from '../lab/state.js';
import { LabError } from '../errors.js';
import type { LabSpec } from '../spec/types.js';

export const DEFAULT_LAB = 'mini';

/** A lab argument is a lab file path or a short name from lab/ (default: mini). */
export function labFromArg(arg = DEFAULT_LAB): Promise<LabSpec> {
  return loadLab(resolveLabFile(arg));
}

/**
 * The lab a command about an existing lab means: an id with state on this host, else a lab
 * file; with no argument, the only lab that is up (or the default).
 */
export async function existingLab(arg?: string): Promise<LabSpec> {
  const ids = await knownLabIds();
  const id = arg ?? (ids.length === 1 ? ids[0] : undefined);
  const state = id ? await readLabState(id) : undefined;
  if (state && fs.existsSync(state.labFile)) return loadLab(state.labFile);
  return labFromArg(arg);
}

/** The id `down` should remove: it must work even when the lab file is gone or broken. */
export async function labIdFromArg(arg = DEFAULT_LAB): Promise<string> {
  if ((await knownLabIds()).includes(arg)) return arg;
  return (await labFromArg(arg)).id;
}

export function nodeOf(lab: LabSpec, name: string) {
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new LabError(`lab ${lab.id} has no node named ${name}`, `use one of: ${lab.nodes.map((n) => n.name).join(', ')}`, 2);
  return node;
}
