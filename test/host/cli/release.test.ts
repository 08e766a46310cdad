import fs from 'node:fs/promises';
import path from 'node:path';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { writeLabState } from '../../../src/lab/state.js';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { loadLab } from '../../../src/spec/lab.js';
import { needs, packageFile } from '../../support/needs.js';
import { releaseFixture } from '../../support/release-fixture.js';
import { metalLab } from '../../support/run-cli.js';
import { testKey } from '../../support/test-keys.js';
import { usrImage } from '../../support/usr-image.js';

// A lab "up" as far as `release` looks: its state and its PKI in a temp METAL_LAB_HOME, no VMs;
// the payload a miniature labos /usr (publish reads its os-release with debugfs).
const test = needs(packageFile('/usr/sbin/debugfs', 'e2fsprogs'));
const cli = (home: string, args: string[]) => metalLab(['release', ...args], { METAL_LAB_HOME: home });

test('release publish puts a signed release on the lab channel; release show reads it back as a node checks it', async (t) => {
  const f = await releaseFixture(t);
  const home = f.dir;
  const payloadFile = await usrImage(f.dir, '2.0.0', 4);
  const size = (await fs.stat(payloadFile)).size;
  const paths = hostLayout({ METAL_LAB_HOME: home }).lab('mini');
  const lab = await loadLab('mini');
  await ensureLabPki(lab, { dir: paths.pki, newKey: testKey });
  await writeLabState(paths, { id: 'mini', lab, accel: 'tcg', timeoutScale: 1, createdAt: new Date().toISOString() });

  const [published, badVersion, notUp] = await Promise.all([
    cli(home, ['publish', '--lab', 'mini', '--version', '2.0.0', payloadFile]),
    cli(home, ['publish', '--lab', 'mini', '--version', '2.0', payloadFile]),
    cli(home, ['show', '--lab', 'talk']),
  ]);
  t.is(published.exitCode, 0, published.stderr);
  t.is(
    published.stderr,
    [
      `metal-lab: mini: 2.0.0 on channel stable: labos-2.0.0.img, ${size} bytes`,
      'metal-lab: nodes with SERVER=http://172.19.0.1:8080/assets and GROUP=stable find it at http://172.19.0.1:8080/assets/releases/stable/release.json',
    ].join('\n'),
  );
  t.is(badVersion.exitCode, 2);
  t.is(badVersion.stderr, 'metal-lab: version "2.0" is not MAJOR.MINOR.PATCH. Fix: pass a version such as 2.0.0 or 2.1.0-rc.1');
  t.is(notUp.exitCode, 2);
  t.is(notUp.stderr, `metal-lab: lab talk is not up (no state in ${home}/labs/talk). Fix: bring it up first: metal-lab up lab/talk.yaml --boot install`);

  const none = await cli(home, ['show', '--lab', 'mini', '--channel', 'edge']);
  t.is(none.exitCode, 2);
  t.is(none.stderr, 'metal-lab: lab mini has no release on channel edge. Fix: publish one: metal-lab release publish --lab mini --channel edge --version VERSION FILE, or show one that has: stable');

  // A copy of the channel under another name: signed, but for channel stable, which a node on beta refuses.
  const releases = path.join(paths.matchboxAssets, 'releases');
  await fs.cp(path.join(releases, 'stable'), path.join(releases, 'beta'), { recursive: true });
  const manifest = JSON.parse(await fs.readFile(path.join(releases, 'stable/release.json'), 'utf8')) as { sha512: string };
  const release = [`  payload    labos-2.0.0.img, ${size} bytes`, `  sha512     ${manifest.sha512}`, `  signature  verifies with ${paths.pki}/release.pub`];
  const shown = await cli(home, ['show', '--lab', 'mini']);
  t.is(shown.exitCode, 1, shown.stderr);
  t.is(
    shown.stdout,
    [
      'lab mini: channels at http://172.19.0.1:8080/assets/releases/',
      'beta: (not a release)',
      `  signature  verifies with ${paths.pki}/release.pub`,
      '  refused    release.json is for channel "stable", not beta',
      'stable: 2.0.0',
      ...release,
    ].join('\n'),
  );
});
