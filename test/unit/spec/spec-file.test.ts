import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadLab } from '../../../src/spec/lab.js';
import { loadScenario } from '../../../src/spec/scenario.js';
import { readSpecFile, whyUnreadable } from '../../../src/spec/spec-file.js';
import { tempDir } from '../../support/temp-dir.js';

/** What stops a lab or scenario file from being read is said in words: the CLI's one line, never an errno's stack. */

test('a file that is not one to read: a directory, a device, a huge file, a link loop, nothing there', async (t) => {
  const dir = await tempDir(t);
  const huge = path.join(dir, 'huge.yaml');
  await fs.writeFile(huge, '');
  await fs.truncate(huge, 3 * 1024 ** 2);
  await fs.symlink('loop.yaml', path.join(dir, 'loop.yaml'));
  await fs.writeFile(path.join(dir, 'file'), 'id: x\n');
  const problems = await Promise.all(
    [dir, '/dev/null', huge, path.join(dir, 'loop.yaml'), path.join(dir, 'none.yaml'), path.join(dir, 'file', 'lab.yaml')].map((f) => readSpecFile(f, 'lab')),
  );
  t.deepEqual(problems, [
    { problem: 'is a directory, not a lab file' },
    { problem: 'is not a regular file, so not a lab file' },
    { problem: 'is 3.0 MiB, too big for a lab file (YAML of a few KiB)' },
    { problem: 'is a loop of symbolic links', fix: 'point the link at the file itself' },
    { problem: 'no such lab file' },
    { problem: 'no such lab file' },
  ]);
  t.deepEqual(await readSpecFile(path.join(dir, 'file'), 'lab'), { text: 'id: x\n' });
});

test('a permission denied (not testable as root, who reads anything) and any other errno are words with a fix', (t) => {
  const errno = (code: string, message: string) => Object.assign(new Error(message), { code });
  t.deepEqual(whyUnreadable(errno('EACCES', "EACCES: permission denied, open 'x'"), 'scenario'), {
    problem: 'cannot be read: permission denied',
    fix: 'make it readable for this user (ls -l shows its owner and mode)',
  });
  t.deepEqual(whyUnreadable(errno('EIO', 'EIO: i/o error, read'), 'lab'), { problem: 'cannot be read: EIO: i/o error, read', fix: 'check the file and the filesystem it is on' });
});

test('loadLab and loadScenario name the file and what is wrong with it, exit 2', async (t) => {
  const dir = await tempDir(t);
  const lab = await t.throwsAsync(loadLab(dir), { instanceOf: SpecError });
  t.is(lab.line(), `${dir}: is a directory, not a lab file. Fix: pass a lab file path or one of: bootstrap, etcd, ha, mini, talk, update`);
  t.is(lab.exitCode, 2);
  const scenario = await t.throwsAsync(loadScenario(dir), { instanceOf: SpecError });
  t.is(scenario.line(), `${dir}: is a directory, not a scenario file. Fix: pass a scenario file path or a name from scenarios/ (e.g. pxe-boot)`);
  const missing = await t.throwsAsync(loadScenario(path.join(dir, 'none.yaml')), { instanceOf: SpecError });
  t.is(missing.line(), `${dir}/none.yaml: no such scenario file. Fix: pass a scenario file path or a name from scenarios/ (e.g. pxe-boot)`);
});
