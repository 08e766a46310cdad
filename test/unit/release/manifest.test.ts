import test from 'ava';
import { channelDir, manifestBytes, parseManifest, payloadName, type ReleaseManifest } from '../../../src/release/manifest.js';

const SHA = 'ab'.repeat(64);
const good: ReleaseManifest = { version: '2.0.0', channel: 'stable', payload: 'labos-2.0.0.img', size: 42, sha512: SHA };
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

test('a channel is <assets>/releases/<channel>/ and a payload is named for its version', (t) => {
  t.is(channelDir('/lab/matchbox/assets', 'stable'), '/lab/matchbox/assets/releases/stable');
  t.is(payloadName('2.1.0-rc.1'), 'labos-2.1.0-rc.1.img');
});

test('the manifest is the five fields in a fixed order, whatever order they come in', (t) => {
  const shuffled = { sha512: SHA, size: 42, payload: 'labos-2.0.0.img', channel: 'stable', version: '2.0.0', extra: true };
  const text = manifestBytes(shuffled as ReleaseManifest).toString();
  t.is(text, `{\n  "version": "2.0.0",\n  "channel": "stable",\n  "payload": "labos-2.0.0.img",\n  "size": 42,\n  "sha512": "${SHA}"\n}\n`);
  t.deepEqual(parseManifest(Buffer.from(text), 'stable'), good);
});

test("what the engine refuses is refused with its reason (release.py's _parse)", (t) => {
  const problem = (value: unknown, channel = 'stable') => {
    const parsed = parseManifest(Buffer.isBuffer(value) ? value : bytes(value), channel);
    return 'problem' in parsed ? parsed.problem : 'accepted';
  };
  const notManifest = 'release.json is not a release manifest (version, channel, payload, size, sha512)';
  t.is(problem(Buffer.from('{"version": ')), 'release.json is not JSON');
  t.is(problem([good]), notManifest);
  t.is(problem(null), notManifest);
  t.is(problem({ ...good, version: '' }), notManifest);
  t.is(problem({ ...good, size: 0 }), notManifest);
  t.is(problem({ ...good, size: '42' }), notManifest);
  t.is(problem({ ...good, size: 4.5 }), notManifest);
  t.is(problem(good, 'beta'), 'release.json is for channel "stable", not beta');
  t.is(problem({ ...good, payload: '../secret' }), 'release.json names payload "../secret", not a plain file name');
  t.is(problem({ ...good, payload: '.hidden' }), 'release.json names payload ".hidden", not a plain file name');
  t.is(problem({ ...good, sha512: SHA.toUpperCase() }), 'release.json has no hex sha512');
  t.is(problem({ ...good, sha512: SHA.slice(1) }), 'release.json has no hex sha512');
  t.is(problem(good), 'accepted');
});
