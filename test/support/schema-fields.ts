import type { z } from 'zod';
import type { FieldPath } from '../../src/spec/yaml-source.js';

/** A mapping of a file format: where a file holds it (`[0]` in a list, `x` in a record), its name (`nodes[]`) and its keys. */
export interface SchemaObject {
  path: FieldPath;
  name: string;
  keys: string[];
}

/**
 * Every mapping of a file format, from its zod schema, the file itself first. A schema met again
 * inside itself (a resume's steps are steps) is listed once, where it is first met.
 */
export function schemaObjects(schema: z.core.$ZodType, at: FieldPath = [], name = '', within: ReadonlySet<unknown> = new Set()): SchemaObject[] {
  if (within.has(schema)) return [];
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const path = new Set([...within, schema]);
  const inner = (s: unknown, p = at, n = name) => schemaObjects(s as z.core.$ZodType, p, n, path);
  switch (def.type) {
    case 'object': {
      const shape = Object.entries(def.shape as Record<string, unknown>);
      const here = { path: at, name, keys: shape.map(([key]) => key) };
      return [here, ...shape.flatMap(([key, value]) => inner(value, [...at, key], name ? `${name}.${key}` : key))];
    }
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return inner(def.innerType);
    case 'pipe':
      return [...inner(def.in), ...inner(def.out)];
    case 'array':
      return inner(def.element, [...at, 0], `${name}[]`);
    case 'record':
      return inner(def.valueType, [...at, 'x'], `${name}.*`);
    case 'union':
      return (def.options as unknown[]).flatMap((option) => inner(option));
    default:
      return [];
  }
}

/**
 * Every field of a file format: `network.bridge`, `nodes[].mac`, `steps[].up.boot`. A test over
 * every field compares its cases with this list, so a field added to a schema without a
 * wrong-value case fails it.
 */
export function schemaFields(schema: z.core.$ZodType): string[] {
  return schemaObjects(schema).flatMap((o) => o.keys.map((key) => (o.name ? `${o.name}.${key}` : key)));
}
