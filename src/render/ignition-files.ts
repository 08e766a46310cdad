/** Ignition (spec 3.x) storage entries, as the lab renders them. */

export interface IgnFile {
  path: string;
  mode: number;
  overwrite: true;
  contents: { source: string; verification?: { hash: string } };
  user?: { name: string };
  group?: { name: string };
}

export interface IgnUnit {
  name: string;
  enabled?: boolean;
  mask?: boolean;
  contents?: string;
  /** Drop-ins beside a unit the image ships, as systemd reads /etc/systemd/system/<unit>.d/. */
  dropins?: Array<{ name: string; contents: string }>;
}

/** Plain-text file contents as an RFC 2397 data URL, the form Ignition embeds files in. */
function dataUrl(text: string): string {
  return `data:,${encodeURIComponent(text)}`;
}

/** A file with inline contents, optionally owned by a user (and its group of the same name). */
export function file(path: string, text: string, mode: number, owner?: string): IgnFile {
  return { path, mode, overwrite: true, contents: { source: dataUrl(text) }, ...(owner ? { user: { name: owner }, group: { name: owner } } : {}) };
}

/** A file Ignition downloads (from the lab's boot server) and verifies before writing it. */
export function remoteFile(path: string, url: string, sha512: string, mode: number): IgnFile {
  return { path, mode, overwrite: true, contents: { source: url, verification: { hash: `sha512-${sha512}` } } };
}
