import type { z } from 'zod';
import { SpecError } from '../errors.js';
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
  if (!('data' in source)) {
    throw new SpecError(file, '', `YAML syntax error at line ${source.line}, col ${source.col}: ${source.problem}`, 'fix the YAML syntax there');
  }
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
