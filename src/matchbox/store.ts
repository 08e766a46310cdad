/**
 * Loads and validates a Matchbox data dir (groups/*.json, profiles/*.json) into an immutable
 * snapshot. Matchbox itself skips bad files silently at request time; the lab refuses them
 * up front with one error naming the file, so a typo never turns into a machine that
 * quietly boots the wrong thing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SpecError } from '../errors.js';
import { isMacKey, parseGoMac } from './mac.js';
import { GroupIndex, selectorString } from './select.js';
import type { NetBoot, Profile } from './types.js';

export interface LoadedGroup {
  id: string;
  name?: string;
  profile: string;
  /** Normalised: mac values in Matchbox's form. */
  selector: Record<string, string>;
  metadata?: Record<string, unknown>;
  file: string;
}

export interface StoreSnapshot {
  dataDir: string;
  groups: GroupIndex<LoadedGroup>;
  profiles: ReadonlyMap<string, Profile>;
}

type Json = Record<string, unknown>;

/** Go's encoding/json matches object keys to struct fields case-insensitively; the last match wins. */
function goField(obj: Json, name: string): unknown {
  let value: unknown;
  for (const key of Object.keys(obj)) if (key.length === name.length && key.toLowerCase() === name) value = obj[key];
  return value;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonProblem(text: string, err: Error): string {
  const pos = /position (\d+)/.exec(err.message);
  if (!pos) return `invalid JSON (${err.message})`;
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${col} (${err.message.replace(/ in JSON at position \d+.*/, '')})`;
}

function parseJsonObject(text: string, file: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SpecError(file, '', jsonProblem(text, err as Error), 'fix the JSON syntax');
  }
  if (!isObject(value)) throw new SpecError(file, '', 'is not a JSON object', 'write one JSON object per file');
  return value;
}

/** The parsed *.json files of a directory, in name order; read in parallel, parsed (and failed) in order. */
async function readJsonDir(dir: string): Promise<[string, Json][]> {
  const files = await jsonFiles(dir);
  const texts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8')));
  return files.map((f, i) => [f, parseJsonObject(texts[i]!, f)]);
}

/** The *.json regular files of a directory, sorted; a missing directory has none. */
async function jsonFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: string[] = [];
  for (const e of entries) {
    if (!e.name.endsWith('.json') || e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    // Symlinks and file systems that report no entry type need a stat to know.
    if (e.isFile() || (!e.isDirectory() && (await fs.stat(full).catch(() => undefined))?.isFile())) files.push(full);
  }
  return files.sort();
}

function optionalString(obj: Json, field: string, file: string): string | undefined {
  const v = goField(obj, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new SpecError(file, field, `must be a string, not ${JSON.stringify(v)}`, `quote the value`);
  return v;
}

function stringList(v: unknown, field: string, file: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw new SpecError(file, field, 'must be a list of strings', `write it as ["..."]`);
  }
  return v as string[];
}

function checkId(obj: Json, file: string): string {
  const base = path.basename(file, '.json');
  const id = goField(obj, 'id');
  if (id !== base) {
    throw new SpecError(
      file,
      'id',
      `id ${JSON.stringify(id ?? null)} does not match the file name`,
      `set "id": ${JSON.stringify(base)} or rename the file to match the id`,
    );
  }
  return base;
}

function parseProfile(obj: Json, file: string): Profile {
  const profile: Profile = { id: checkId(obj, file) };
  const name = optionalString(obj, 'name', file);
  if (name !== undefined) profile.name = name;
  for (const key of ['ignition_id', 'generic_id', 'cloud_id'] as const) {
    const v = optionalString(obj, key, file);
    if (v !== undefined) profile[key] = v;
  }
  const boot = goField(obj, 'boot');
  if (boot !== undefined && boot !== null) {
    if (!isObject(boot)) throw new SpecError(file, 'boot', 'must be an object', 'write "boot": {"kernel": "...", "initrd": [...], "args": [...]}');
    const kernel = goField(boot, 'kernel') ?? '';
    if (typeof kernel !== 'string') throw new SpecError(file, 'boot.kernel', 'must be a string', 'quote the kernel URL');
    const netboot: NetBoot = { kernel };
    const initrd = stringList(goField(boot, 'initrd'), 'boot.initrd', file);
    const args = stringList(goField(boot, 'args'), 'boot.args', file);
    if (initrd) netboot.initrd = initrd;
    if (args) netboot.args = args;
    profile.boot = netboot;
  }
  return profile;
}

function parseGroup(obj: Json, file: string): LoadedGroup {
  const id = checkId(obj, file);
  const profile = optionalString(obj, 'profile', file);
  if (!profile) throw new SpecError(file, 'profile', 'is missing', 'name the profile this group boots, e.g. "profile": "worker"');
  const group: LoadedGroup = { id, profile, selector: {}, file };
  const name = optionalString(obj, 'name', file);
  if (name !== undefined) group.name = name;
  const selector = goField(obj, 'selector');
  if (selector !== undefined && selector !== null) {
    if (!isObject(selector)) throw new SpecError(file, 'selector', 'must be an object of label: value', 'write e.g. "selector": {"mac": "52:54:00:a1:9c:ae"}');
    for (const [key, value] of Object.entries(selector)) {
      if (typeof value !== 'string') throw new SpecError(file, `selector.${key}`, `must be a string, not ${JSON.stringify(value)}`, 'quote the value');
      if (isMacKey(key)) {
        const mac = parseGoMac(value);
        if (mac === undefined) throw new SpecError(file, `selector.${key}`, `${JSON.stringify(value)} is not a MAC address`, 'write it as 52:54:00:a1:9c:ae');
        group.selector[key] = mac;
      } else {
        group.selector[key] = value;
      }
    }
  }
  const metadata = goField(obj, 'metadata');
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) throw new SpecError(file, 'metadata', 'must be a JSON object', 'write "metadata": {"key": "value"}');
    group.metadata = metadata;
  }
  return group;
}

/** Reads and validates the data dir; throws SpecError naming the offending file. */
export async function loadStore(dataDir: string): Promise<StoreSnapshot> {
  const profiles = new Map<string, Profile>();
  for (const [file, obj] of await readJsonDir(path.join(dataDir, 'profiles'))) {
    const profile = parseProfile(obj, file);
    profiles.set(profile.id, profile);
  }
  const groups: LoadedGroup[] = [];
  const bySelector = new Map<string, LoadedGroup>();
  for (const [file, obj] of await readJsonDir(path.join(dataDir, 'groups'))) {
    const group = parseGroup(obj, file);
    if (!profiles.has(group.profile)) {
      throw new SpecError(
        file,
        'profile',
        `names profile ${JSON.stringify(group.profile)}, but profiles/${group.profile}.json does not exist`,
        'write that profile first or correct the name',
      );
    }
    const key = selectorString(group.selector);
    const twin = bySelector.get(key);
    if (twin) {
      throw key === ''
        ? new SpecError(file, 'selector', `is a second default (empty-selector) group besides ${twin.file}`, 'give one of them a selector or remove one')
        : new SpecError(file, 'selector', `{${key}} is identical to the selector of ${twin.file}, so which one wins is undefined`, 'make the selectors differ or remove one group');
    }
    bySelector.set(key, group);
    groups.push(group);
  }
  return { dataDir, groups: new GroupIndex(groups), profiles };
}
