import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ensureLabPki } from '../../src/pki/ensure.js';
import { renderNodeIgnition } from '../../src/render/ignition.js';
import type { KubeNodeAssets } from '../../src/render/ignition-kube.js';
import { loadLab } from '../../src/spec/lab.js';
import { tempDir } from './bootkube-fixture.js';
import { program } from './needs.js';
import { testKey } from './test-keys.js';
import { ETCD_ENV_FILE } from '../../src/scenario/faults/etcd-replace.js';

/** The parts of a rendered Ignition config the render tests read. */
export interface Ign {
  passwd: { users: Array<{ name: string; sshAuthorizedKeys: string[] }> };
  storage: { files: Array<{ path: string; mode: number; user?: { name: string }; contents: { source: string; verification?: { hash: string } } }> };
  systemd: { units: Array<{ name: string; enabled?: boolean; mask?: boolean; contents?: string; dropins?: Array<{ name: string; contents: string }> }> };
}

/** A made-up sha512 hex digest. */
export const digest = (c: string) => c.repeat(128);

/** What `up` would serve a Kubernetes node, with made-up digests. */
export const KUBE_ASSETS: KubeNodeAssets = {
  version: 'v1.20.2',
  baseUrl: 'http://172.24.0.1:8080/assets/kubernetes/v1.20.2',
  kubelet: { name: 'kubelet', sha512: digest('a') },
  kubectl: { name: 'kubectl', sha512: digest('b') },
  images: [
    { name: 'pause.tar', sha512: digest('c'), ref: 'metal-lab.local/pause:v1.20.2' },
    { name: 'kube-proxy.tar', sha512: digest('d'), ref: 'metal-lab.local/kube-proxy:v1.20.2' },
    { name: 'kube-apiserver.tar', sha512: digest('e'), ref: 'metal-lab.local/kube-apiserver:v1.20.2' },
  ],
  pauseRef: 'metal-lab.local/pause:v1.20.2',
};

/** A shipped lab with a fresh PKI in a temp dir (removed at exit), and its nodes' configs. */
export async function nodeIgnition(labName: string, kube?: KubeNodeAssets) {
  const lab = await loadLab(labName);
  const dir = await tempDir('metal-lab-ign-');
  const pki = await ensureLabPki(lab, { dir: path.join(dir, 'pki'), newKey: testKey });
  const node = (name: string) => lab.nodes.find((n) => n.name === name)!;
  const render = (name: string) => renderNodeIgnition(lab, node(name), pki, { timeoutScale: 6, kube }) as Ign;
  return { lab, dir, pki, node, render };
}

export const fileOf = (ign: Ign, p: string) => ign.storage.files.find((f) => f.path === p);
export const text = (ign: Ign, p: string) => decodeURIComponent(fileOf(ign, p)!.contents.source.replace(/^data:,/, ''));

export const IGNITION_VALIDATE = program('ignition-validate', 'ignition');

/** Debian's ignition-validate: the real Ignition's own parser and checks. */
export async function ignitionValidate(dir: string, config: object): Promise<{ exitCode?: number; output: string }> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.ign`);
  await fs.writeFile(file, JSON.stringify(config));
  const r = await execa('ignition-validate', [file], { reject: false, all: true });
  return { exitCode: r.exitCode, output: String(r.all) };
}

/** node3's /etc/default/etcd as Ignition renders it for lab etcd. */
export async function renderedEtcdEnv(): Promise<string> {
  const { render } = await nodeIgnition('etcd');
  return text(render('node3'), ETCD_ENV_FILE);
}
