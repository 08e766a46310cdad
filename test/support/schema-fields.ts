import type { z } from 'zod';

/**
 * Every field of a file format, from its zod schema: `network.bridge`, `nodes[].mac`,
 * `steps[].up.boot`. A test over every field compares its cases with this list, so a field added
 * to a schema without a wrong-value case fails it.
 */
export function schemaFields(schema: z.core.$ZodType, prefix = ''): string[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = (s: unknown, p = prefix) => schemaFields(s as z.core.$ZodType, p);
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, unknown>).flatMap(([key, value]) => {
        const field = prefix ? `${prefix}.${key}` : key;
        return [field, ...inner(value, field)];
      });
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return inner(def.innerType);
    case 'pipe':
      return [...inner(def.in), ...inner(def.out)];
    case 'array':
      return inner(def.element, `${prefix}[]`);
    case 'record':
      return inner(def.valueType, `${prefix}.*`);
    case 'union':
      return (def.options as unknown[]).flatMap((option) => inner(option));
    default:
      return [];
  }
}
