/** A fixed 1 controller + 1 worker lab and throwaway PKIs for the bootkube render tests. */
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ensureLabPki, type LabPki } from '../../src/pki/ensure.js';
import { parseLab } from '../../src/spec/lab.js';
import type { LabSpec } from '../../src/ground/lab-spec.js';
import type { KubeObject } from '../../src/render/bootkube/index.js';
import { testKey } from './test-keys.js';

const roots: string[] = [];
process.once('exit', () => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

export async function tempDir(prefix = 'bootkube-'): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  roots.push(root);
  return root;
}

export const GOLDEN_LAB_YAML = `
id: golden
accelerator: tcg
network:
  bridge: ml-golden0
  subnet: 172.30.5.0/24
  domain: example.com
  nat: false
  dhcpRange: { start: 172.30.5.50, end: 172.30.5.99 }
bootServer: { port: 8080 }
dns:
  matchbox.example.com: 172.30.5.1
defaults: { memory: 512, vcpus: 1, disk: 4, firmware: bios }
nodes:
  - { name: c1, role: controller, mac: "52:54:00:00:05:21", ip: 172.30.5.21 }
  - { name: w1, role: worker,     mac: "52:54:00:00:05:22", ip: 172.30.5.22 }
`;

export function goldenLab(): LabSpec {
  return parseLab(GOLDEN_LAB_YAML, 'golden.yaml');
}

/** A fresh PKI for the lab in its own temp dir. */
export async function freshPki(lab: LabSpec): Promise<LabPki> {
  return ensureLabPki(lab, { dir: path.join(await tempDir('bootkube-pki-'), 'pki'), newKey: testKey });
}

export function manifestObjects(assets: Map<string, string>, prefix = 'manifests/'): { file: string; obj: KubeObject }[] {
  return [...assets]
    .filter(([file]) => file.startsWith(prefix) && file.endsWith('.yaml'))
    .map(([file, text]) => ({ file, obj: parse(text) as KubeObject }));
}

/** The first container of a pod or a workload's pod template. */
export function container(obj: KubeObject): { name: string; image: string; command: string[] } {
  const spec = (obj.kind === 'Pod' ? obj.spec : (obj.spec as { template: { spec: unknown } }).template.spec) as {
    containers: { name: string; image: string; command: string[] }[];
  };
  return spec.containers[0]!;
}
