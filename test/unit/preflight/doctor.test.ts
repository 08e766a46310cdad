import path from 'node:path';
import test from 'ava';
import { nearestExisting } from '../../../src/preflight/doctor.js';
import { tempDir } from '../../support/temp-dir.js';

test('nearestExisting walks up to a directory that exists', async (t) => {
  const dir = await tempDir(t, 'ml-doctor-');
  t.is(await nearestExisting(path.join(dir, 'a/b/c')), dir);
  t.is(await nearestExisting(dir), dir);
});
