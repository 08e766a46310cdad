import fs from 'node:fs/promises';
import path from 'node:path';
import type { HostLayout } from '../../src/ground/host-layout.js';
import type { LabSpec } from '../../src/ground/lab-spec.js';
import { inputsKey, labInputs, pkiFingerprint } from '../../src/lab/lab-inputs.js';
import { describeFiles, MANIFEST, snapshotDir, snapshotFiles, type SnapshotManifest } from '../../src/lab/snapshot-manifest.js';

/**
 * A snapshot on disk as `snapshot save` writes one, with stand-ins for the memory and disk files
 * (no VM made them): what the checks of `up --from`, `list` and `rm` read.
 */
export async function writeSnapshot(host: HostLayout, lab: LabSpec, name: string, edit: (m: SnapshotManifest) => void = () => {}): Promise<string> {
  const dir = snapshotDir(host, lab.id, name);
  const put = async (rel: string, text: string) => {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), text);
  };
  for (const n of lab.nodes) {
    await put(snapshotFiles.memory(n.name), `memory of ${n.name}`);
    await put(snapshotFiles.disk(n.name), `disk of ${n.name}`);
  }
  await put(path.join(snapshotFiles.state, 'pki', 'ca.crt'), 'a CA');
  await put(path.join(snapshotFiles.state, 'state.json'), '{}');
  const inputs = labInputs({ boot: 'install', lab, live: { key: 'live-1' }, disk: { key: 'disk-1' }, images: [] });
  const pki = await pkiFingerprint(path.join(dir, snapshotFiles.state, 'pki'));
  const manifest: SnapshotManifest = {
    format: 1, name, lab: lab.id, createdAt: '2026-01-01T00:00:00.000Z', inputs, pki, key: inputsKey(inputs, pki),
    nodes: lab.nodes.map((n) => ({ name: n.name, mac: n.mac, ip: n.ip })), files: await describeFiles(dir),
  };
  edit(manifest);
  await put(MANIFEST, JSON.stringify(manifest));
  return dir;
}
