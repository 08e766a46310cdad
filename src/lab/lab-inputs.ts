import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BootMode } from '../ground/lab-model.js';
import type { LabSpec } from '../ground/lab-spec.js';
import type { LabPlan, PlanEntry } from '../render/plan.js';

/**
 * Everything a running lab was made from, as keys: what `up` recorded in the lab's state, what a
 * snapshot carries, and what `up --from` compares with what it built, so a snapshot is never put
 * back on other images, another Kubernetes build or another lab file.
 */
export interface LabInputs {
  boot: BootMode;
  /** The lab as loaded (its file's path left out: a copy of the file elsewhere is the same lab). */
  lab: Omit<LabSpec, 'file'>;
  /** Cache keys of the node images. */
  live: string;
  disk?: string;
  /** The Kubernetes build's cache key, and every image the nodes preload by digest. */
  kubernetes?: string;
  images: Record<string, string>;
  /**
   * A digest of every file metal-lab rendered for the lab (Ignition, iPXE, profiles, libvirt XML,
   * bootkube assets): a restored node runs the configs it was installed with, so a snapshot made
   * by a metal-lab that rendered others stands for another lab.
   */
  configs?: string;
}

/** What `up` built, as its actions hold it. */
export interface BuiltInputs {
  boot: BootMode;
  lab: LabSpec;
  live: { key: string };
  disk?: { key: string };
  bins?: { key: string };
  images: ReadonlyArray<{ ref: string; digest: string }>;
}

export function labInputs(built: BuiltInputs): LabInputs {
  const { file: _file, ...lab } = built.lab;
  return {
    boot: built.boot,
    lab,
    live: built.live.key,
    ...(built.disk ? { disk: built.disk.key } : {}),
    ...(built.bins ? { kubernetes: built.bins.key } : {}),
    images: Object.fromEntries(built.images.map((i) => [i.ref, i.digest]).sort(([a], [b]) => a!.localeCompare(b!))),
  };
}

/** The digest of a render plan's files, by path, content and mode. */
export function planDigest(plan: LabPlan): string {
  const files = [...plan].filter((e): e is [string, Extract<PlanEntry, { kind: 'text' }>] => e[1].kind === 'text');
  return canonicalDigest(Object.fromEntries(files.map(([rel, f]) => [rel, { mode: f.mode, sha256: sha256(f.text) }])));
}

/** JSON with every object's keys sorted, so equal values always hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** A digest of a JSON value that does not depend on the order of its keys. */
export const canonicalDigest = (value: unknown): string => sha256(canonical(value));

/** One key of all inputs and the PKI: equal keys, the same lab. */
export function inputsKey(inputs: LabInputs, pki: string): string {
  return canonicalDigest({ inputs, pki });
}

/** The first field where two values differ, as a path (`nodes[1].memory`), with both values; undefined when equal. */
function firstDifference(a: unknown, b: unknown, at: string): { at: string; was: unknown; now: unknown } | undefined {
  if (canonical(a) === canonical(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const sub = Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub);
      if (d) return d;
    }
  }
  return { at, was: a, now: b };
}

const shown = (v: unknown) => {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** What a user reads for each input that can differ, and what brings it back in line. */
const INPUT_WORDS: Record<keyof LabInputs, string> = {
  boot: 'boot mode',
  lab: 'lab file',
  live: 'live image',
  disk: 'disk image',
  kubernetes: 'Kubernetes build',
  images: 'container image',
  configs: 'node configs',
};

/**
 * The first input where a snapshot's and today's differ, in words: `lab file nodes[1].memoryMiB
 * is 512 in the snapshot, 1024 now`. Undefined when they match.
 */
export function inputsDifference(saved: LabInputs, now: LabInputs): string | undefined {
  for (const key of Object.keys(INPUT_WORDS) as Array<keyof LabInputs>) {
    const d = firstDifference(saved[key], now[key], '');
    if (!d) continue;
    return `${INPUT_WORDS[key]}${d.at ? ` ${d.at}` : ''} is ${shown(d.was)} in the snapshot, ${shown(d.now)} now`;
  }
  return undefined;
}

/** A fingerprint of a PKI dir: every file's path and content, in order ('none' for a live lab, which has none). */
export async function pkiFingerprint(dir: string): Promise<string> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!entries) return 'none';
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
  const parts = await Promise.all(files.map(async (f) => `${f} ${sha256(await fs.readFile(path.join(dir, f)))}`));
  return sha256(parts.join('\n'));
}
