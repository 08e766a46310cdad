import { closestMatch } from 'leven';
import type { z } from 'zod';
import type { FieldPath } from './yaml-source.js';

/** Turns zod's issues into the one line a user reads: the field, the problem, the fix. */

export interface FieldProblem {
  path: FieldPath;
  problem: string;
  fix: string;
}

/** `nodes[1].mac`, `steps[3].boot-server`, `dns["cluster.example.com"]`: names as written, anything else quoted. */
export function formatPath(path: FieldPath): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/**
 * The issue to report. An unknown key goes first: a misspelt key usually also makes the real
 * one "missing", and "did you mean" is the message that explains both.
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue | undefined {
  return issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
}

/** The keys a strict object at `path` accepts, read from the schema itself. */
export function keysAt(schema: z.core.$ZodType, path: FieldPath): string[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const [step, ...rest] = path;
  const at = (inner: unknown, steps = path) => keysAt(inner as z.core.$ZodType, steps);
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      if (path.length === 0) return Object.keys(shape);
      return Object.hasOwn(shape, String(step)) ? at(shape[String(step)], rest) : [];
    }
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return at(def.innerType);
    case 'pipe':
      // A preprocess is a pipe from its function into the schema; a transform, from the schema into its function.
      return at((def.in as z.core.$ZodType)._zod.def.type === 'transform' ? def.out : def.in);
    case 'array':
      return at(def.element, rest);
    case 'record':
      return at(def.valueType, rest);
    case 'union':
      // `up: true` or `up: {boot: ..}`: the option that is a mapping there.
      return (def.options as unknown[]).map((option) => at(option)).find((keys) => keys.length > 0) ?? [];
    default:
      return [];
  }
}

/** The form of the deepest field that has one, `rebootWindow.start` before a plain `start`. */
function formAt(path: FieldPath, forms: Readonly<Record<string, string>>): string | undefined {
  const keys = path.filter((k): k is string => typeof k === 'string');
  for (let i = keys.length - 1; i >= 0; i--) {
    const names = i > 0 ? [`${keys[i - 1]}.${keys[i]}`, keys[i]!] : [keys[i]!];
    const name = names.find((n) => Object.hasOwn(forms, n));
    if (name) return forms[name];
  }
  return undefined;
}

/** zod's type names in the words a YAML file is described in (as describeValue does). */
const EXPECTED_WORDS: Record<string, string> = { int: 'a whole number', array: 'a list', object: 'a mapping', record: 'a mapping' };

const expectedWords = (type: string) => EXPECTED_WORDS[type] ?? `a ${type}`;

function describeValue(v: unknown): string {
  if (Array.isArray(v) || v instanceof Set) return 'a list';
  // What YAML's explicit tags (!!timestamp, !!binary) make of a value.
  if (v instanceof Date) return 'a date';
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'object' && v !== null) return 'a mapping';
  // 1e400 and .nan are numbers, but not JSON's: Infinity and NaN, not null.
  if (typeof v === 'number') return `number ${v}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** An option of a union whose issues are all about the value's type: the value is not of that option's kind. */
const wrongKind = (issues: readonly z.core.$ZodIssue[]) => issues.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));

export function describeIssue(
  issue: z.core.$ZodIssue,
  schema: z.core.$ZodType,
  forms: Readonly<Record<string, string>>,
): FieldProblem {
  const path = issue.path as FieldPath;
  const expected = formAt(path, forms) ?? 'a value of the right type';
  const input = issue.input;

  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const known = keysAt(schema, path);
      // Two edits (a swapped pair), or one per three letters for long keys: "foo" suggests nothing.
      const maxDistance = Math.max(2, Math.floor(key.length / 3));
      const near = known.find((k) => sameWord(k, key)) ?? known.find((k) => swappedPair(k, key)) ?? closestMatch(key, known, { maxDistance });
      return {
        path: [...path, key],
        problem: `unknown field "${key}"`,
        fix: near ? `did you mean "${near}"?` : `remove it (known fields here: ${known.join(', ')})`,
      };
    }
    case 'invalid_key': {
      // A record key failed its own check: report the inner problem at the key.
      const inner = issue.issues[0];
      const detail = inner ? describeIssue({ ...inner, path: [...path] }, schema, forms) : undefined;
      return { path, problem: detail?.problem ?? issue.message, fix: detail?.fix ?? `use ${expected}` };
    }
    case 'invalid_type': {
      if (path.length === 0) {
        const holds = input == null ? 'the file is empty' : `the file holds ${describeValue(input)}`;
        return { path, problem: `${holds}, not a YAML mapping of fields`, fix: 'write one "key: value" line per top-level field' };
      }
      if (input === undefined) return { path, problem: 'is missing', fix: `add ${formatPath(path)}: ${expected}` };
      if (input === null) return { path, problem: 'is empty', fix: `set it to ${expected}` };
      return { path, problem: `expected ${expectedWords(issue.expected)}, got ${describeValue(input)}`, fix: `use ${expected}` };
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const near = closestMatch(String(input), values, { maxDistance: 2 });
      return {
        path,
        problem: `${JSON.stringify(input)} is not one of ${values.join(', ')}`,
        fix: near ? `did you mean "${near}"?` : `use ${values.join(' or ')}`,
      };
    }
    case 'invalid_union': {
      // `up: {boot: disk}`: the option of the value's kind says what is wrong inside it; else what each option takes.
      const matched = issue.errors.find((issues) => !wrongKind(issues));
      if (matched) {
        const inner = firstIssue(matched)!;
        return describeIssue({ ...inner, path: [...path, ...inner.path] } as z.core.$ZodIssue, schema, forms);
      }
      const options = issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' ? i.values.map(String) : i.code === 'invalid_type' ? [expectedWords(i.expected)] : []));
      return { path, problem: `expected ${options.join(' or ')}, got ${describeValue(input)}`, fix: `use ${expected}` };
    }
    case 'too_small':
    case 'too_big': {
      // Lists and strings here have a minimum of one (and no maximum).
      if (issue.code === 'too_small' && (issue.origin === 'array' || issue.origin === 'string')) return { path, problem: 'is empty', fix: `give ${expected}` };
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      return { path, problem: `${JSON.stringify(input)} is out of range`, fix: `use ${bound}` };
    }
    case 'custom': {
      const fix = (issue.params as { fix?: string } | undefined)?.fix;
      return { path, problem: issue.message, fix: fix ?? `use ${expected}` };
    }
    default:
      return { path, problem: issue.message, fix: `use ${expected}` };
  }
}

/** `dhcp_range` vs `dhcpRange`, `DNS` vs `dns`: the same word spelt in another case style. */
function sameWord(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  return norm(a) === norm(b);
}

/** `wacth` for `watch`: two edits to Levenshtein, as far as `wait` is, but the likelier slip. */
function swappedPair(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}
