/** A throwaway data dir + assets dir, and a server on an ephemeral loopback port. */
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type MatchboxServer, startMatchboxServer } from '../../../src/matchbox/server.js';
import type { Group, Profile } from '../../../src/matchbox/types.js';
import { writeGeneric, writeGroup, writeIgnition, writeProfile } from '../../../src/matchbox/writer.js';

export interface Fixture {
  root: string;
  dataDir: string;
  assetsDir: string;
  requestLog: string;
}

const roots: string[] = [];
process.once('exit', () => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

export async function tempFixture(): Promise<Fixture> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mbx-'));
  roots.push(root);
  const f = { root, dataDir: path.join(root, 'data'), assetsDir: path.join(root, 'assets'), requestLog: path.join(root, 'requests.jsonl') };
  await fs.mkdir(f.dataDir, { recursive: true });
  await fs.mkdir(f.assetsDir, { recursive: true });
  return f;
}

export interface DataSet {
  profiles?: Profile[];
  groups?: Group[];
  ignition?: Record<string, string | object>;
  generic?: Record<string, string>;
}

export async function writeData(dataDir: string, data: DataSet): Promise<void> {
  for (const p of data.profiles ?? []) await writeProfile(dataDir, p);
  for (const [name, c] of Object.entries(data.ignition ?? {})) await writeIgnition(dataDir, name, c);
  for (const [name, c] of Object.entries(data.generic ?? {})) await writeGeneric(dataDir, name, c);
  for (const g of data.groups ?? []) await writeGroup(dataDir, g);
}

export async function serve(f: Fixture, data: DataSet = {}): Promise<MatchboxServer> {
  await writeData(f.dataDir, data);
  return startMatchboxServer({ dataDir: f.dataDir, assetsDir: f.assetsDir, host: '127.0.0.1', port: 0, requestLog: f.requestLog });
}

export async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, body: await res.text(), headers: res.headers };
}
