import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError } from '../errors.js';
import { buildLab } from './lab-rules.js';
import { FIELD_FORMS, LabFileSchema } from './lab-schema.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { displayPath, readSpecFile } from './spec-file.js';
import { parsing, validateYaml } from './validate.js';

/** The repository's lab/ directory: two levels above this module both as src/spec/*.ts and dist/spec/*.js. */
export const LAB_DIR = fileURLToPath(new URL('../../lab/', import.meta.url));

const SHORT_NAME = /^[a-z][a-z0-9-]{0,15}$/;

/** `mini` -> <repo>/lab/mini.yaml; anything else is a path, made absolute from `dir` (the working directory by default). */
export function resolveLabFile(nameOrPath: string, dir = process.cwd()): string {
  return SHORT_NAME.test(nameOrPath) ? path.join(LAB_DIR, `${nameOrPath}.yaml`) : path.resolve(dir, nameOrPath);
}

/** Parses and validates lab file text; `file` only names it in errors and in `LabSpec.file`. */
export function parseLab(text: string, file: string): LabSpec {
  return parsing(file, () => {
    const { data, fail } = validateYaml(text, file, LabFileSchema, FIELD_FORMS);
    return buildLab(data, path.resolve(file), fail);
  });
}

/**
 * A field of another file that names a lab (a scenario's `lab:`): a path there starts from that
 * file's directory, and a lab file that cannot be read is that field's problem.
 */
export interface LabReference {
  file: string;
  field: string;
}

/** Reads and validates a lab file, given as a short name (see resolveLabFile) or a path. */
export async function loadLab(nameOrPath: string, from?: LabReference): Promise<LabSpec> {
  const file = resolveLabFile(nameOrPath, from && path.dirname(from.file));
  const read = await readSpecFile(file, 'lab');
  if ('problem' in read) {
    const choices = `a lab file path${from ? ` (relative to ${displayPath(path.dirname(from.file))})` : ''} or one of: ${(await knownLabs()).join(', ')}`;
    const fix = read.fix ?? (from ? `set ${from.field} to ${choices}` : `pass ${choices}`);
    if (from) throw new SpecError(displayPath(from.file), from.field, `${displayPath(file)}: ${read.problem}`, fix);
    throw new SpecError(displayPath(file), '', read.problem, fix);
  }
  return parseLab(read.text, displayPath(file));
}

/** The short names of the labs shipped in lab/. */
export async function knownLabs(): Promise<string[]> {
  const files = await readdir(LAB_DIR).catch(() => []);
  return files.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}
