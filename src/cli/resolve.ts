import fs from 'node:fs';
import { LAB_ID } from '../ground/lab-spec.js';
import type { HostLayout } from '../ground/host-layout.js';
import { knownLabIds, readLabState } from '../lab/state.js';
import { LabError } from '../errors.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { DEFAULT_LAB } from './defaults.js';

/** A lab argument is a lab file path or a short name from lab/ (default: mini). */
export async function labFromArg(arg = DEFAULT_LAB): Promise<LabSpec> {
  // Loaded on demand: the YAML and schema modules are most of a quick command's start-up.
  const { loadLab } = await import('../spec/lab.js');
  return loadLab(arg);
}

/**
 * The lab a command about an existing lab means: a lab that is up, by id (as it was brought
 * up), else a lab file; with no argument, the only lab that is up (or the default).
 */
export async function existingLab(host: HostLayout, arg?: string): Promise<LabSpec> {
  const ids = await knownLabIds(host);
  const id = arg ?? (ids.length === 1 ? ids[0] : undefined);
  const state = id ? await readLabState(host.lab(id)) : undefined;
  return state?.lab ?? labFromArg(arg);
}

/**
 * The id `down` should remove: a lab with state here, else the id in the named lab file, else
 * the argument itself when it is an id (a lab killed before it wrote any state, its file gone).
 */
export async function labIdFromArg(host: HostLayout, arg = DEFAULT_LAB): Promise<string> {
  if ((await knownLabIds(host)).includes(arg)) return arg;
  const { loadLab, resolveLabFile } = await import('../spec/lab.js');
  if (LAB_ID.test(arg) && !fs.existsSync(resolveLabFile(arg))) return arg;
  return (await loadLab(arg)).id;
}

export function nodeOf(lab: LabSpec, name: string) {
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new LabError(`lab ${lab.id} has no node named ${name}`, `use one of: ${lab.nodes.map((n) => n.name).join(', ')}`, 2);
  return node;
}
