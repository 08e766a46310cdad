import test from 'ava';
import { z } from 'zod';
import { LabError, SpecError } from '../../../src/errors.js';
import { parsing, validateYaml } from '../../../src/spec/validate.js';

test('a bug that an input sets off while it is parsed is still one line naming the file, exit 2', (t) => {
  const buggy = z.strictObject({ id: z.string().refine((v) => (v as unknown as { x: { y: number } }).x.y > 0) });
  const err = t.throws(() => parsing('lab/x.yaml', () => validateYaml('id: a\n', 'lab/x.yaml', buggy, {})), { instanceOf: SpecError });
  t.is(err.exitCode, 2);
  t.regex(err.line(), /^lab\/x\.yaml: could not be checked: TypeError: Cannot read properties of undefined \(reading 'y'\)\. Fix: this is a bug in metal-lab: report it with the file$/);
});

test('a LabError from the parse is its own line, unchanged', (t) => {
  const own = new LabError('lab/x.yaml: id: taken', 'rename it', 2);
  t.is(t.throws(() => parsing('lab/x.yaml', () => { throw own; })), own);
});
