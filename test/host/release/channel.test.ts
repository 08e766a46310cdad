import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { startMatchboxServer, type MatchboxServer } from '../../../src/matchbox/server.js';
import { ensureLabPki, type LabPki } from '../../../src/pki/ensure.js';
import { rsaPublicPem } from '../../../src/pki/x509.js';
import { publishRelease } from '../../../src/release/publish.js';
import { loadLab } from '../../../src/spec/lab.js';
import { needs, program } from '../../support/needs.js';
import { testKey } from '../../support/test-keys.js';
import { ENGINE_DIR } from '../images/update-engine-node.js';

// The channel contract end to end, without VMs: releases published into a lab's Matchbox assets
// dir, served by the lab's own boot server code on 127.0.0.1, read by the labos update engine's
// own release module, which checks the signature with openssl and the lab PKI's release.pub.

const test = needs(program('python3', 'python3'), program('openssl', 'openssl'));

/** One check as the engine makes it: latest(), then download() into a file; a Refused is a result too. */
const ENGINE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import release
server, channel, key, out = sys.argv[2:6]
try:
    found = release.latest(server, channel, key)
    if found is None:
        print('null')
    else:
        with open(out, 'wb') as f:
            sha512 = release.download(found, lambda fraction: None, f)
        print(json.dumps({'release': found._asdict(), 'sha512': sha512}))
except release.Refused as e:
    print(json.dumps({'refused': str(e)}))
`;

interface Check {
  release?: { version: string; payload_url: string; size: number; sha512: string };
  /** What download() hashed, and the bytes it wrote. */
  sha512?: string;
  downloaded?: Buffer;
  refused?: string;
}

const PAYLOAD = randomBytes(3 * 2 ** 20);
let dir: string;
let pki: LabPki;
let server: MatchboxServer;
let assetsDir: string;
let payloadFile: string;

test.before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-release-host-'));
  pki = await ensureLabPki(await loadLab('mini'), { dir: path.join(dir, 'pki'), newKey: testKey });
  assetsDir = path.join(dir, 'matchbox/assets');
  await fs.mkdir(assetsDir, { recursive: true });
  payloadFile = path.join(dir, 'root.ext4');
  await fs.writeFile(payloadFile, PAYLOAD);
  server = await startMatchboxServer({ dataDir: path.join(dir, 'matchbox'), assetsDir, host: '127.0.0.1', port: 0 });
});
test.after.always(async () => {
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const publish = (channel: string, version = '2.0.0') => publishRelease({ assetsDir, channel, version, payloadFile, key: pki.release.key });

/** What a node on `channel` finds, with SERVER=<boot server>/assets and the lab's release.pub (or `key`); null for no release. */
async function engineCheck(channel: string, key = pki.release.publicFile): Promise<Check | null> {
  const out = path.join(dir, `download-${channel}`);
  const r = await execa('python3', ['-c', ENGINE, ENGINE_DIR, `${server.url}/assets`, channel, key, out], { timeout: 60_000 });
  const check = JSON.parse(r.stdout) as Check | null;
  return check?.sha512 ? { ...check, downloaded: await fs.readFile(out) } : check;
}

test('a node finds the published release, verifies it with the PKI release.pub and downloads exactly the payload', async (t) => {
  const { manifest } = await publish('stable');
  const check = await engineCheck('stable');
  t.deepEqual(check?.release, { version: '2.0.0', payload_url: `${server.url}/assets/releases/stable/labos-2.0.0.img`, size: PAYLOAD.length, sha512: manifest.sha512 });
  // cycle.py installs only when the downloaded bytes hash to the signed sha512.
  t.is(check?.sha512, manifest.sha512);
  t.true(check?.downloaded?.equals(PAYLOAD));
});

test('a channel without a release is a 404, which a node takes as no update', async (t) => {
  t.is(await engineCheck('nothing-here'), null);
});

test('a node with another key refuses the release: bad signature', async (t) => {
  await publish('other-key');
  const otherPub = path.join(dir, 'other.pub');
  await fs.writeFile(otherPub, rsaPublicPem(await testKey())!);
  const check = await engineCheck('other-key', otherPub);
  t.regex(check?.refused ?? '', /^bad signature: http:\/\/127\.0\.0\.1:\d+\/assets\/releases\/other-key\/release\.json\.sig does not verify with .*other\.pub/);
});

test('a tampered manifest is refused: bad signature, before anything in it is used', async (t) => {
  const { dir: channel } = await publish('tampered');
  const file = path.join(channel, 'release.json');
  await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('"version": "2.0.0"', '"version": "9.9.9"'));
  t.regex((await engineCheck('tampered'))?.refused ?? '', /^bad signature: .*tampered\/release\.json\.sig does not verify with .*release\.pub/);
});

test('a truncated payload is refused: size mismatch', async (t) => {
  const { dir: channel, manifest } = await publish('truncated');
  await fs.truncate(path.join(channel, manifest.payload), 2 ** 20);
  t.regex(
    (await engineCheck('truncated'))?.refused ?? '',
    new RegExp(`^size mismatch: .*/truncated/labos-2\\.0\\.0\\.img is ${2 ** 20} bytes, the signed manifest says ${PAYLOAD.length}$`),
  );
});

test('a new version replaces the last one: nodes find it, and the old payload is gone from the server', async (t) => {
  await publish('rolling', '2.0.0');
  await publish('rolling', '2.1.0');
  t.like((await engineCheck('rolling'))?.release, { version: '2.1.0', payload_url: `${server.url}/assets/releases/rolling/labos-2.1.0.img` });
  t.is((await fetch(`${server.url}/assets/releases/rolling/labos-2.0.0.img`)).status, 404);
});
