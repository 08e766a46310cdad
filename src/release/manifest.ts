import path from 'node:path';

/**
 * A release channel as the labos update engine reads it (its release.py is the contract):
 * `<server>/releases/<channel>/` holds release.json, release.json.sig and the payload the
 * manifest names. On the lab's boot server the channel is `<assets>/releases/<channel>/`.
 */

export const MANIFEST = 'release.json';
export const SIGNATURE = 'release.json.sig';

export interface ReleaseManifest {
  version: string;
  channel: string;
  /** A plain file name beside release.json. */
  payload: string;
  size: number;
  sha512: string;
}

/** Every channel's dir is in here; the channel's name is its dir's. */
export function releasesDir(assetsDir: string): string {
  return path.join(assetsDir, 'releases');
}

export function channelDir(assetsDir: string, channel: string): string {
  return path.join(releasesDir(assetsDir), channel);
}

/** The version is in the name, so a node mid-download of the last release never sees this one's bytes. */
export function payloadName(version: string): string {
  return `labos-${version}.img`;
}

/** The bytes that are signed: the engine's five fields in its order, so a republish is byte-stable. */
export function manifestBytes(m: ReleaseManifest): Buffer {
  const { version, channel, payload, size, sha512 } = m;
  return Buffer.from(`${JSON.stringify({ version, channel, payload, size, sha512 }, null, 2)}\n`);
}

/** The manifest in `bytes` by the engine's rules (release.py's _parse), or why the engine refuses it. */
export function parseManifest(bytes: Buffer, channel: string): ReleaseManifest | { problem: string } {
  let m: Partial<Record<keyof ReleaseManifest, unknown>>;
  try {
    m = JSON.parse(bytes.toString('utf8')) as typeof m;
  } catch {
    return { problem: `${MANIFEST} is not JSON` };
  }
  const { version, payload, size, sha512 } = m ?? {};
  if (typeof version !== 'string' || !version || !Number.isSafeInteger(size) || (size as number) <= 0) {
    return { problem: `${MANIFEST} is not a release manifest (version, channel, payload, size, sha512)` };
  }
  if (m.channel !== channel) return { problem: `${MANIFEST} is for channel ${JSON.stringify(m.channel)}, not ${channel}` };
  if (typeof payload !== 'string' || !/^[A-Za-z0-9._-]+$/.test(payload) || payload.startsWith('.')) {
    return { problem: `${MANIFEST} names payload ${JSON.stringify(payload)}, not a plain file name` };
  }
  if (typeof sha512 !== 'string' || !/^[0-9a-f]{128}$/.test(sha512)) return { problem: `${MANIFEST} has no hex sha512` };
  return { version, channel, payload, size: size as number, sha512 };
}
