import type { z } from 'zod';
import { LabError, SpecError } from '../errors.js';
import { describeIssue, firstIssue, formatPath } from './field-problems.js';
import { parseYamlSource, type FieldPath } from './yaml-source.js';

/** Throws the one-line SpecError for a field, with the field's line and column when known. */
export type Fail = (at: FieldPath, problem: string, fix: string) => never;

/**
 * Parses YAML text and checks it against a schema. Every file format of the lab goes through
 * here, so every bad input reads the same way: file, field (line, col), problem, fix.
 */
export function validateYaml<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  forms: Readonly<Record<string, string>>,
): { data: z.output<S>; fail: Fail } {
  const source = parseYamlSource(text);
  if (!('data' in source)) throw new SpecError(file, '', source.problem, source.fix);
  const fail: Fail = (at, problem, fix) => {
    const where = source.locate(at);
    throw new SpecError(file, formatPath(at), where ? `${problem} (${where})` : problem, fix);
  };
  const parsed = schema.safeParse(source.data, { reportInput: true });
  if (!parsed.success) {
    const { path: at, problem, fix } = describeIssue(firstIssue(parsed.error.issues)!, schema, forms);
    return fail(at, problem, fix);
  }
  return { data: parsed.data, fail };
}

/**
 * Parses a lab or scenario file with `parse`. Bad input is a SpecError already; anything else it
 * throws is a bug that this input set off, and still the one line naming the file, not a stack.
 */
export function parsing<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof LabError) throw err;
    throw new SpecError(file, '', `could not be checked: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, 'this is a bug in metal-lab: report it with the file');
  }
}
