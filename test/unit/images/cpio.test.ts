import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { writeCpioGz } from '../../../src/images/cpio.js';
import { CPIO_ENTRIES } from '../../support/cpio-entries.js';
import { tempDir } from '../../support/temp-dir.js';

test('the same entries give byte-identical archives', async (t) => {
  const dir = await tempDir(t, 'cpio-test-');
  const [archive, again] = [path.join(dir, 'initrd.img'), path.join(dir, 'again.img')];
  await writeCpioGz(CPIO_ENTRIES, archive);
  await writeCpioGz(CPIO_ENTRIES, again);
  t.true((await readFile(archive)).equals(await readFile(again)));
});
