import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LabError } from '../errors.js';
import type { HostLayout } from '../ground/host-layout.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { checkSnapshotName, SNAPSHOT_NAME } from '../ground/snapshot-name.js';
import { inputsDifference, type LabInputs } from './lab-inputs.js';

export const MANIFEST = 'manifest.json';

/** Where a node's parts sit in a snapshot dir. */
export const snapshotFiles = {
  memory: (node: string) => path.join('memory', `${node}.save`),
  disk: (node: string) => path.join('disks', `${node}.qcow2`),
  /** The lab's state dir, its disks and built images left out: state.json, PKI, boot server data and logs. */
  state: 'state',
};

export interface SnapshotNode {
  name: string;
  mac: string;
  ip: string;
}

export interface SnapshotManifest {
  format: 1;
  name: string;
  lab: string;
  createdAt: string;
  inputs: LabInputs;
  /** The PKI's fingerprint (pkiFingerprint), 'none' for a live lab. */
  pki: string;
  /** inputsKey(inputs, pki): one key of all it was made from. */
  key: string;
  /** For a snapshot a scenario's resume made: the digest of the steps that made it (recipeKey). */
  recipe?: string;
  nodes: SnapshotNode[];
  /** Every file of the snapshot but the manifest, by path relative to its dir. */
  files: Record<string, { size: number; sha256: string }>;
}

export const snapshotDir = (host: HostLayout, id: string, name: string): string => path.join(host.snapshots(id), name);

/** Names of a lab's snapshots (a save in progress, a dot dir, is none yet). */
export async function snapshotNames(host: HostLayout, id: string): Promise<string[]> {
  const entries = await fs.readdir(host.snapshots(id), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && SNAPSHOT_NAME.test(e.name)).map((e) => e.name).sort();
}

/** A snapshot that exists but cannot be put back: corrupt, or made from another lab file or other inputs. */
export class UnusableSnapshotError extends LabError {}

const rmFix = (id: string, name: string) => `remove it (metal-lab snapshot rm ${name} ${id}), then bring the lab up and save it again`;

/** The dir of a snapshot that exists; a bad or unknown name is one line, exit 2. */
export async function existingSnapshotDir(host: HostLayout, id: string, name: string): Promise<string> {
  checkSnapshotName(name);
  const names = await snapshotNames(host, id);
  if (!names.includes(name)) {
    const fix = names.length ? `use one of: ${names.join(', ')} (metal-lab snapshot list ${id})` : `save one first: metal-lab up ${id}, then metal-lab snapshot save ${name} ${id}`;
    throw new LabError(`lab ${id} has no snapshot named ${name}`, fix, 2);
  }
  return snapshotDir(host, id, name);
}

/** The snapshot's manifest; a missing name or an unreadable manifest is one line, exit 2. */
export async function readSnapshot(host: HostLayout, id: string, name: string): Promise<SnapshotManifest> {
  const dir = await existingSnapshotDir(host, id, name);
  const text = await fs.readFile(path.join(dir, MANIFEST), 'utf8').catch(() => undefined);
  if (text === undefined) throw new UnusableSnapshotError(`snapshot ${name} of lab ${id} is corrupt: its ${MANIFEST} is missing`, rmFix(id, name), 2);
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(text) as SnapshotManifest;
  } catch {
    throw new UnusableSnapshotError(`snapshot ${name} of lab ${id} is corrupt: its ${MANIFEST} is not JSON`, rmFix(id, name), 2);
  }
  if (manifest.format !== 1 || manifest.lab !== id || !manifest.inputs || !manifest.files || !Array.isArray(manifest.nodes)) {
    throw new UnusableSnapshotError(`snapshot ${name} of lab ${id} is corrupt: its ${MANIFEST} is not a lab ${id} snapshot manifest`, rmFix(id, name), 2);
  }
  return manifest;
}

/** The snapshot was made from this lab file: the first field that differs is the line. */
export function checkSnapshotLab(m: SnapshotManifest, lab: LabSpec, fileShown: string): void {
  const { file: _file, ...now } = lab;
  const diff = inputsDifference(m.inputs, { ...m.inputs, lab: now });
  if (diff) {
    throw new UnusableSnapshotError(`snapshot ${m.name} of lab ${m.lab} does not match ${fileShown}: ${diff}`, `restore it with the lab file it was made from, or save a new one: metal-lab up ${fileShown}, then metal-lab snapshot save ${m.name} ${m.lab}`, 2);
  }
}

/** The snapshot was made from what `up` built now: images, Kubernetes build, boot mode. */
export function checkSnapshotInputs(m: SnapshotManifest, now: LabInputs): void {
  const diff = inputsDifference(m.inputs, now);
  if (diff) {
    throw new UnusableSnapshotError(`snapshot ${m.name} of lab ${m.lab} was made from other inputs: ${diff}`, `save a new one from today's: metal-lab snapshot rm ${m.name} ${m.lab}, metal-lab up ${m.lab}, metal-lab snapshot save ${m.name} ${m.lab}`, 2);
  }
}

export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Every file the manifest lists is there with its size: cheap, so it runs before anything else. */
export async function checkSnapshotFiles(dir: string, m: SnapshotManifest): Promise<void> {
  for (const [rel, want] of Object.entries(m.files)) {
    const st = await fs.stat(path.join(dir, rel)).catch(() => undefined);
    const problem = !st ? 'is missing' : st.size !== want.size ? `has ${st.size} bytes, the manifest says ${want.size}` : undefined;
    if (problem) throw new UnusableSnapshotError(`snapshot ${m.name} of lab ${m.lab} is corrupt: ${rel} ${problem}`, rmFix(m.lab, m.name), 2);
  }
}

/** Every file's sha256 against the manifest, one at a time, each named to `onFile` as it starts. */
export async function verifySnapshotDigests(dir: string, m: SnapshotManifest, onFile: (rel: string) => void = () => {}): Promise<void> {
  for (const [rel, want] of Object.entries(m.files)) {
    onFile(rel);
    if ((await fileDigest(path.join(dir, rel))) !== want.sha256) {
      throw new UnusableSnapshotError(`snapshot ${m.name} of lab ${m.lab} is corrupt: ${rel} does not match its sha256 in the manifest`, rmFix(m.lab, m.name), 2);
    }
  }
}

/** Size and digest of every file under `dir` (the manifest excepted), by relative path. */
export async function describeFiles(dir: string, onFile: (rel: string) => void = () => {}): Promise<SnapshotManifest['files']> {
  const rels = (await fs.readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => rel !== MANIFEST)
    .sort();
  const files: SnapshotManifest['files'] = {};
  for (const rel of rels) {
    onFile(rel);
    const file = path.join(dir, rel);
    files[rel] = { size: (await fs.stat(file)).size, sha256: await fileDigest(file) };
  }
  return files;
}
