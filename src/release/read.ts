import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { channelDir, MANIFEST, parseManifest, releasesDir, SIGNATURE, type ReleaseManifest } from './manifest.js';
import { signatureVerifies } from './signature.js';

export interface ChannelRelease {
  channel: string;
  /** The manifest, when release.json is one by the engine's rules. */
  manifest?: ReleaseManifest;
  /** Whether release.json.sig verifies over release.json with the release key's public half. */
  signed: boolean;
  /** Why a node would refuse this release; empty when it would install it. */
  problems: string[];
}

/**
 * A channel's release checked as a node checks it (the payload by its size only: hashing 1 GB is
 * the node's job), or undefined when the channel has none, which a node takes as no update.
 */
export async function channelRelease(assetsDir: string, channel: string, publicPem: string): Promise<ChannelRelease | undefined> {
  const dir = channelDir(assetsDir, channel);
  const [bytes, signature] = await Promise.all([readOrUndefined(path.join(dir, MANIFEST)), readOrUndefined(path.join(dir, SIGNATURE))]);
  if (!bytes) return undefined;
  const signed = signature !== undefined && signatureVerifies(bytes, signature, publicPem);
  const problems = signed ? [] : [signature ? `${SIGNATURE} does not verify with the release key` : `${SIGNATURE} is missing`];
  const parsed = parseManifest(bytes, channel);
  if ('problem' in parsed) return { channel, signed, problems: [...problems, parsed.problem] };
  const st = await stat(path.join(dir, parsed.payload)).catch(() => undefined);
  if (!st?.isFile()) problems.push(`payload ${parsed.payload} is missing`);
  else if (st.size !== parsed.size) problems.push(`payload ${parsed.payload} is ${st.size} bytes, the manifest says ${parsed.size}`);
  return { channel, manifest: parsed, signed, problems };
}

/** Every channel of an assets dir that has a release, by name. */
export async function listReleases(assetsDir: string, publicPem: string): Promise<ChannelRelease[]> {
  const entries = await readdir(releasesDir(assetsDir), { withFileTypes: true }).catch(() => []);
  const channels = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const found = await Promise.all(channels.map((channel) => channelRelease(assetsDir, channel, publicPem)));
  return found.filter((r) => r !== undefined);
}

async function readOrUndefined(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}
