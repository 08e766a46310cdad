import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { PUBLIC_MODE, writeAtomic } from '../pki/files.js';
import type { Secret } from '../pki/secret.js';
import { rsaPublicPem } from '../pki/x509.js';
import { checkChannel, checkPayload, checkReleaseKey, checkVersion } from './input.js';
import { channelDir, MANIFEST, manifestBytes, payloadName, SIGNATURE, type ReleaseManifest } from './manifest.js';
import { copyPayload } from './payload.js';
import { channelRelease } from './read.js';
import { signManifest } from './signature.js';

export interface PublishOptions {
  /** The boot server's assets dir (a lab's `matchboxAssets`): the channel is `releases/<channel>/` in it. */
  assetsDir: string;
  channel: string;
  version: string;
  payloadFile: string;
  /** The lab's release key (pki/release.key). */
  key: Secret;
}

export interface Published {
  dir: string;
  manifest: ReleaseManifest;
  /** What the channel dir held besides the new release: earlier payloads, leftovers of an interrupted publish. */
  removed: string[];
}

/**
 * Puts a release on a channel. Every input is checked before anything is written. Each file is
 * renamed into place whole: the payload first, under a name of its own, then the signature, then
 * the manifest, so a node sees the new release only once everything it names is there (one that
 * checks between the last two is refused, bad signature, and checks again later). Earlier
 * payloads go last, once the new manifest no longer names them: a download under way finishes
 * (the server has the file open), and a node between its two downloads of one (it checks, then
 * installs) fails that attempt and takes the new release at its next check. What a publish that
 * fails part way leaves (a full disk, Ctrl-C) is swept by the next one: the channel dir is its own.
 */
export async function publishRelease(o: PublishOptions): Promise<Published> {
  checkVersion(o.version);
  checkChannel(o.channel);
  checkReleaseKey(o.key);
  await checkPayload(o.payloadFile);
  const current = await channelRelease(o.assetsDir, o.channel, rsaPublicPem(o.key.reveal())!);
  if (current?.manifest?.version === o.version && current.problems.length === 0) {
    throw new LabError(
      `channel ${o.channel} already serves ${o.version}`,
      `publish it as a new version (e.g. a higher patch): nodes that run ${o.version} do not update to ${o.version} again`,
      2,
    );
  }

  const dir = channelDir(o.assetsDir, o.channel);
  await mkdir(dir, { recursive: true });
  const payload = payloadName(o.version);
  const manifest = { version: o.version, channel: o.channel, payload, ...(await copyPayload(o.payloadFile, path.join(dir, payload))) };
  const bytes = manifestBytes(manifest);
  await writeAtomic(path.join(dir, SIGNATURE), signManifest(bytes, o.key), PUBLIC_MODE);
  await writeAtomic(path.join(dir, MANIFEST), bytes, PUBLIC_MODE);

  const keep = new Set([MANIFEST, SIGNATURE, payload]);
  const removed = (await readdir(dir)).filter((name) => !keep.has(name)).sort();
  await Promise.all(removed.map((name) => rm(path.join(dir, name), { recursive: true, force: true })));
  return { dir, manifest, removed };
}
