import { readFileSync } from 'node:fs';
import test from 'ava';
import { metalLab } from '../../support/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

test('--version prints package.json\'s version; after a command, --version is that command\'s own option', async (t) => {
  const r = await metalLab(['--version']);
  t.is(r.exitCode, 0);
  t.is(r.stdout, pkg.version);
  // `release publish --version V` names the release: it reaches publish, which checks it.
  const publish = await metalLab(['release', 'publish', '--lab', 'mini', '--version', '2.0', '/nonexistent']);
  t.is(publish.exitCode, 2);
  t.is(publish.stdout, '');
  t.regex(publish.stderr, /^metal-lab: /);
});
