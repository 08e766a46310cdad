import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { renderCases } from '../../support/render-cases.js';

const goldenDir = fileURLToPath(new URL('../../golden/libvirt/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

for (const c of renderCases()) {
  test(`${c.golden} matches its golden file`, async (t) => {
    const file = path.join(goldenDir, c.golden);
    if (update) {
      await fs.mkdir(goldenDir, { recursive: true });
      await fs.writeFile(file, c.xml);
      t.log(`rewrote ${file}`);
    }
    const golden = await fs.readFile(file, 'utf8').catch(() => {
      throw new Error(`${file} is missing: run UPDATE_GOLDEN=1 npx ava test/unit/render`);
    });
    t.is(c.xml, golden);
  });
}

test('rendering is deterministic', (t) => {
  t.deepEqual(
    renderCases().map((c) => c.xml),
    renderCases().map((c) => c.xml),
  );
});
