import test from 'ava';
import type { z } from 'zod';
import { keysAt } from '../../../src/spec/field-problems.js';
import { LabFileSchema } from '../../../src/spec/lab-schema.js';
import { ScenarioFile } from '../../../src/spec/scenario.js';
import { schemaObjects } from '../../support/schema-fields.js';

/**
 * An unknown key is told with the keys of the mapping it is in (keysAt at the path): never
 * "known fields here:" and an empty list, however the schema wraps that mapping (a union, a
 * preprocess, a list, a default). bad-lab and bad-scenario show the line it makes.
 */
for (const [kind, schema] of [['lab', LabFileSchema], ['scenario', ScenarioFile]] as [string, z.ZodType][]) {
  test(`every mapping of a ${kind} file knows its own keys`, (t) => {
    const objects = schemaObjects(schema);
    t.true(objects.length > 5);
    for (const { path, name, keys } of objects) t.deepEqual(keysAt(schema, path), keys, name || 'the file');
  });
}
