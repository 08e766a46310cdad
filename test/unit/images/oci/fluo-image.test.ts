import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { buildFluoImage, fluoImageSpec } from '../../../../src/images/oci/fluo-image.js';
import { tempDir } from '../../../support/temp-dir.js';

test('one scratch image holds both binaries in /bin, the agent as its entrypoint, as upstream ships them', (t) => {
  const spec = fluoImageSpec({ binDir: '/cache/fluo/k/bin', version: '0.9.0' });
  t.is(spec.ref, 'metal-lab.local/flatcar-linux-update-operator:v0.9.0');
  t.deepEqual(spec.config.entrypoint, ['/bin/update-agent']);
  t.deepEqual(spec.layers.length, 1);
  const layer = spec.layers[0]!;
  t.deepEqual('entries' in layer ? layer.entries : [], [
    { path: 'bin/update-operator', file: '/cache/fluo/k/bin/update-operator', mode: 0o755 },
    { path: 'bin/update-agent', file: '/cache/fluo/k/bin/update-agent', mode: 0o755 },
    { path: 'tmp', dir: true, mode: 0o1777 },
  ]);
});

test('the image is cached by the binaries it holds: the same binaries find it, changed ones build anew', async (t) => {
  const dir = await tempDir(t);
  const binDir = path.join(dir, 'bin');
  const cacheDir = path.join(dir, 'cache');
  await mkdir(binDir);
  // Any bytes stand in for the binaries: nothing runs them here.
  for (const name of ['update-operator', 'update-agent']) await writeFile(path.join(binDir, name), `#!/bin/sh\necho ${name}\n`);
  const bins = (sha: string) => ({ binDir, version: '0.9.0', binaries: { 'update-operator': { bytes: 1, sha256: sha }, 'update-agent': { bytes: 1, sha256: 'b' } } });

  const messages: string[] = [];
  const first = await buildFluoImage({ bins: bins('a'), cacheDir, onProgress: (m) => messages.push(m) });
  t.is(first.ref, 'metal-lab.local/flatcar-linux-update-operator:v0.9.0');
  t.regex(first.digest, /^sha256:[0-9a-f]{64}$/);
  t.is((await stat(first.archive)).size, first.bytes);
  t.true(first.archive.startsWith(path.join(cacheDir, 'fluo-image')));

  const again = await buildFluoImage({ bins: bins('a'), cacheDir, onProgress: (m) => messages.push(m) });
  t.deepEqual(again, first);
  t.true(messages.some((m) => m.includes('nothing to build')), messages.join('\n'));
  const other = await buildFluoImage({ bins: bins('c'), cacheDir });
  t.not(path.dirname(other.archive), path.dirname(first.archive));
});
