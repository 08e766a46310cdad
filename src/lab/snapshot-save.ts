import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { hostLayout, type HostLayout, type LabLayout } from '../ground/host-layout.js';
import { labObjectNames } from '../ground/lab-spec.js';
import { listDomains } from '../libvirt/domain.js';
import { restoreDomain, resumeDomain, saveDomain, suspendDomain } from '../libvirt/save-restore.js';
import { copyQcow2 } from '../qemu/disk-copy.js';
import { inputsKey, pkiFingerprint, type LabInputs } from './lab-inputs.js';
import { stepNodeClocks } from './node-clocks.js';
import { checkSnapshotName } from '../ground/snapshot-name.js';
import { describeFiles, MANIFEST, snapshotDir, snapshotFiles, snapshotNames, type SnapshotManifest } from './snapshot-manifest.js';
import { readLabState, type LabState } from './state.js';
import { silentSteps, type StepRunner } from './steps.js';

/** The state dir as a snapshot keeps it: the disks go apart, built images are the cache's, a pid is the process's. */
function stateFilter(paths: LabLayout): (src: string) => boolean {
  const left = new Set([paths.disks, paths.matchboxAssets, paths.serverPid]);
  return (src) => !left.has(src);
}

/** A lab that can be saved as `name`, checked before any progress line: up, running, the name free. */
export async function checkSave(host: HostLayout, id: string, name: string): Promise<LabState & { inputs: LabInputs }> {
  checkSnapshotName(name);
  const state = await readLabState(host.lab(id));
  if (!state) throw new LabError(`lab ${id} is not up, so there is nothing to snapshot`, `bring it up first: metal-lab up ${id}`, 2);
  const { lab, inputs } = state;
  if (!inputs) throw new LabError(`lab ${id} was brought up by a metal-lab that did not record what it was made from`, `bring it up again: metal-lab down ${id}, then metal-lab up ${id}`, 2);
  if ((await snapshotNames(host, id)).includes(name)) {
    throw new LabError(`lab ${id} has a snapshot named ${name} already`, `pick another name, or remove it first: metal-lab snapshot rm ${name} ${id}`, 2);
  }
  const names = labObjectNames(lab);
  const running = new Map((await listDomains()).map((d) => [d.name, d.state]));
  for (const node of lab.nodes) {
    const st = running.get(names.domain(node.name)) ?? 'not defined';
    if (st !== 'running') throw new LabError(`${node.name} of lab ${id} is ${st}, and a snapshot is of a running lab`, `bring it up: metal-lab up ${id}`, 2);
  }
  return { ...state, inputs };
}

/**
 * Saves a running lab (as checkSave found it) as snapshot `name`: every node paused at one
 * instant, its memory saved (virsh save) and its disk copied while it is stopped, the lab's
 * state beside them; then the nodes run on from where they were, their clocks stepped. Written
 * under a dot dir and renamed last, so a snapshot that is listed is whole.
 */
export async function saveSnapshot(
  state: LabState & { inputs: LabInputs },
  name: string,
  opts: { host?: HostLayout; steps?: StepRunner; recipe?: string; signal?: AbortSignal } = {},
): Promise<SnapshotManifest> {
  const host = opts.host ?? hostLayout();
  const steps = opts.steps ?? silentSteps;
  const { id, lab, inputs } = state;
  const paths = host.lab(id);
  const names = labObjectNames(lab);
  const tmp = path.join(host.snapshots(id), `.${name}.partial`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(path.join(tmp, 'memory'), { recursive: true });
  await fs.mkdir(path.join(tmp, 'disks'));
  const where = new Map<string, 'suspended' | 'saved'>();
  try {
    try {
      await steps.step('pause nodes', undefined, () => Promise.all(lab.nodes.map(async (n) => {
        await suspendDomain(names.domain(n.name));
        where.set(n.name, 'suspended');
      })));
      opts.signal?.throwIfAborted();
      await Promise.all(lab.nodes.map((n) => steps.step('save memory', n.name, async () => {
        await saveDomain(names.domain(n.name), path.join(tmp, snapshotFiles.memory(n.name)));
        where.set(n.name, 'saved');
      })));
      opts.signal?.throwIfAborted();
      await Promise.all(lab.nodes.map((n) => steps.step('copy disk', n.name, () => copyQcow2(path.join(paths.disks, names.volume(n.name)), path.join(tmp, snapshotFiles.disk(n.name))))));
      opts.signal?.throwIfAborted();
      await steps.step('copy lab state', undefined, () => fs.cp(paths.root, path.join(tmp, snapshotFiles.state), { recursive: true, filter: stateFilter(paths) }));
    } finally {
      // The lab runs on whether the snapshot was taken or not, its clocks on the host's time.
      await steps.step('resume nodes', undefined, () => Promise.all(lab.nodes.map((n) => {
        const at = where.get(n.name);
        return at === 'saved' ? restoreDomain(path.join(tmp, snapshotFiles.memory(n.name))) : at === 'suspended' ? resumeDomain(names.domain(n.name)) : undefined;
      })));
      if (where.size > 0) await stepNodeClocks(lab, inputs.boot, paths, state.timeoutScale, steps);
    }
    opts.signal?.throwIfAborted();
    const manifest = await steps.step('digests', undefined, async (): Promise<SnapshotManifest> => {
      const pki = await pkiFingerprint(paths.pki);
      const files = await describeFiles(tmp, (rel) => steps.activity(`sha256 of ${rel}`));
      return {
        format: 1, name, lab: id, createdAt: new Date().toISOString(), inputs, pki, key: inputsKey(inputs, pki), ...(opts.recipe ? { recipe: opts.recipe } : {}),
        nodes: lab.nodes.map((n) => ({ name: n.name, mac: n.mac, ip: n.ip })), files,
      };
    });
    await fs.writeFile(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rename(tmp, snapshotDir(host, id, name));
    return manifest;
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
