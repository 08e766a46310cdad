import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { FLOORS, roomOf, srcImports, upwardImports } from '../../support/rooms.js';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

test('no import in src/ runs up to a higher room or sideways to another room on its floor', (t) => {
  const imports = srcImports(SRC);
  t.true(imports.length > 300, `${imports.length} imports read`);
  t.deepEqual(upwardImports(imports), []);
});

test('every file of src/ is in a room with a floor', async (t) => {
  const files = (await fs.readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
  t.deepEqual(files.map((f) => roomOf(f.split(path.sep).join('/'))).filter((room) => !(room in FLOORS)), []);
});

test('an upward import is named with its file and specifier', (t) => {
  const found = upwardImports([
    { file: 'images/cache.ts', target: 'lab/paths.ts', specifier: '../lab/paths.js' },
    { file: 'render/plan.ts', target: 'ground/cluster.ts', specifier: '../ground/cluster.js' },
    { file: 'render/plan.ts', target: 'render/ignition.ts', specifier: './ignition.js' },
    { file: 'pki/files.ts', target: 'node/ssh.ts', specifier: '../node/ssh.js' },
    { file: 'render/matchbox-install.ts', target: 'images/labos-disk.ts', specifier: '../images/labos-disk.js' },
    { file: 'ground/lab-model.ts', target: 'errors.ts', specifier: '../errors.js' },
  ]);
  t.deepEqual(found, [
    "src/images/cache.ts (images, floor 3) imports '../lab/paths.js' (lab, floor 5)",
    "src/pki/files.ts (pki, floor 2) imports '../node/ssh.js' (node, floor 2)",
    "src/render/matchbox-install.ts (render, floor 3) imports '../images/labos-disk.js' (images, floor 3)",
  ]);
});

test('a planted upward import in a source tree is found: static, type-only, re-export and dynamic', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rooms-'));
  try {
    await fs.mkdir(path.join(dir, 'ground'));
    await fs.mkdir(path.join(dir, 'render'));
    await fs.writeFile(
      path.join(dir, 'ground', 'facts.ts'),
      [
        "import { up } from '../lab/up.js';",
        "import type { Step } from '../scenario/run.js';",
        "export { main } from '../cli/main.js';",
        "export const later = () => import('../kube/client.js');",
        "import { LabError } from '../errors.js';",
      ].join('\n'),
    );
    await fs.writeFile(path.join(dir, 'render', 'plan.ts'), "import { facts } from '../ground/facts.js';\n");
    t.deepEqual(upwardImports(srcImports(dir)), [
      "src/ground/facts.ts (ground, floor 0) imports '../lab/up.js' (lab, floor 5)",
      "src/ground/facts.ts (ground, floor 0) imports '../scenario/run.js' (scenario, floor 6)",
      "src/ground/facts.ts (ground, floor 0) imports '../cli/main.js' (cli, floor 7)",
      "src/ground/facts.ts (ground, floor 0) imports '../kube/client.js' (kube, floor 3)",
    ]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
