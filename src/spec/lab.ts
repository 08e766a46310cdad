import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError } from '../errors.js';
import { buildLab } from './lab-rules.js';
import { FIELD_FORMS, LabFileSchema } from './lab-schema.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { validateYaml } from './validate.js';

/** The repository's lab/ directory: two levels above this module both as src/spec/*.ts and dist/spec/*.js. */
export const LAB_DIR = fileURLToPath(new URL('../../lab/', import.meta.url));

const SHORT_NAME = /^[a-z][a-z0-9-]{0,15}$/;

/** `mini` -> <repo>/lab/mini.yaml; anything else is a path, made absolute. */
export function resolveLabFile(nameOrPath: string): string {
  return SHORT_NAME.test(nameOrPath) ? path.join(LAB_DIR, `${nameOrPath}.yaml`) : path.resolve(nameOrPath);
}

/** Parses and validates lab file text; `file` only names it in errors and in `LabSpec.file`. */
export function parseLab(text: string, file: string): LabSpec {
  const { data, fail } = validateYaml(text, file, LabFileSchema, FIELD_FORMS);
  return buildLab(data, path.resolve(file), fail);
}

/** Reads and validates a lab file, given as a short name (see resolveLabFile) or a path. */
export async function loadLab(nameOrPath: string): Promise<LabSpec> {
  const file = resolveLabFile(nameOrPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR') throw err;
    throw new SpecError(nameOrPath, '', code === 'ENOENT' ? 'no such lab file' : 'is a directory, not a lab file', `pass a lab file path or one of: ${(await knownLabs()).join(', ')}`);
  }
  return parseLab(text, displayPath(file));
}

/** Errors name the file as a user would type it: relative inside the working directory. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** The short names of the labs shipped in lab/. */
export async function knownLabs(): Promise<string[]> {
  const files = await readdir(LAB_DIR).catch(() => []);
  return files.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}
