/** The talk lab (3 controllers, 3 workers) and throwaway PKI dirs, removed when the test process exits. */
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../../src/spec/lab.js';
import { ensureLabPki, type LabPki } from '../../src/pki/ensure.js';
import { planCerts } from '../../src/pki/plan.js';
import type { LabSpec } from '../../src/ground/lab-spec.js';
import { testKey } from './test-keys.js';

const roots: string[] = [];
process.once('exit', () => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

export function talkLab(): Promise<LabSpec> {
  return loadLab('talk');
}

/** A fresh dir to hold a PKI (`<tmp>/pki`, not yet created). */
export async function tempPkiDir(): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pki-'));
  roots.push(root);
  return path.join(root, 'pki');
}

/** The talk lab's PKI, issued once in a temp dir: the reuse tests each work on a copy of it. */
export async function issuedTalkPki() {
  const lab = await talkLab();
  const dir = await tempPkiDir();
  return { lab, plans: planCerts(lab), dir, first: await ensureLabPki(lab, { dir, newKey: testKey }) };
}

/** A copy of an issued PKI, so a test can change it without disturbing the others. */
export async function copyPki(dir: string): Promise<string> {
  const copy = await tempPkiDir();
  await fs.cp(dir, copy, { recursive: true, preserveTimestamps: true });
  return copy;
}

export interface FileState {
  mode: number;
  mtimeMs: number;
  /** An atomic rewrite is a new inode even within the mtime's granularity. */
  ino: number;
}

/** Every regular file under `dir` (relative path) with its mode, mtime and inode. */
export async function snapshot(dir: string): Promise<Map<string, FileState>> {
  const files = new Map<string, FileState>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const st = await fs.stat(file);
    files.set(path.relative(dir, file), { mode: st.mode & 0o777, mtimeMs: st.mtimeMs, ino: st.ino });
  }
  return files;
}

export const fingerprints = (pki: LabPki) => Object.fromEntries(Object.entries(pki.certs).map(([name, c]) => [name, c.fingerprint]));

/** Files whose content was replaced between two snapshots. */
export const rewritten = (before: Map<string, FileState>, after: Map<string, FileState>) =>
  [...after].filter(([file, st]) => before.get(file)?.ino !== st.ino || before.get(file)?.mtimeMs !== st.mtimeMs).map(([file]) => file).sort();

export const sorted = (names: string[]) => [...names].sort();
