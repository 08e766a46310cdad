import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';
import { labObjectNames, type LabSpec } from '../ground/lab-spec.js';
import { refreshPool, restoreDomain } from '../libvirt/save-restore.js';
import { copyQcow2 } from '../qemu/disk-copy.js';
import type { SourceFile } from '../images/fluo-source.js';
import type { AccelProbe } from '../libvirt/accel.js';
import { findLabObjects, isEmpty } from './down.js';
import { pkiFingerprint } from './lab-inputs.js';
import { stepNodeClocks } from './node-clocks.js';
import { restartControllerManagers } from './restored-controllers.js';
import {
  checkSnapshotFiles, checkSnapshotInputs, checkSnapshotLab, readSnapshot, snapshotDir, snapshotFiles, UnusableSnapshotError, verifySnapshotDigests, type SnapshotManifest,
} from './snapshot-manifest.js';
import { silentSteps, type StepRunner } from './steps.js';
import { builtInputs, up, type UpAction, type UpFrom, type UpResult } from './up.js';

/**
 * What `up --from` can check before the host is touched: the snapshot exists, its manifest
 * reads, it was made from this lab file, every file is there with its size.
 */
export async function checkSnapshotFor(lab: LabSpec, name: string, fileShown: string, host: HostLayout = hostLayout()): Promise<SnapshotManifest> {
  const m = await readSnapshot(host, lab.id, name);
  checkSnapshotLab(m, lab, fileShown);
  await checkSnapshotFiles(snapshotDir(host, lab.id, name), m);
  return m;
}

/** A running lab is not overwritten: its nodes would be lost without a word. Asks libvirt, read-only. */
export async function checkLabDown(id: string, host: HostLayout = hostLayout()): Promise<void> {
  if (!isEmpty(await findLabObjects(id, host))) {
    throw new LabError(`lab ${id} is up, and up --from would replace it`, `take it down first (its snapshots stay): metal-lab down ${id}`, 2);
  }
}

/** The snapshot's own actions in `up`: checks, its state, then every node's disk and memory put back. */
function restoreActions(m: SnapshotManifest, dir: string): UpFrom {
  const check: UpAction = {
    name: 'snapshot inputs',
    async execute(ctx) {
      // The configs are rendered with the snapshot's PKI, once its state is in place: checkConfigs.
      checkSnapshotInputs(m, { ...builtInputs(ctx), configs: m.inputs.configs });
      if ((await pkiFingerprint(path.join(dir, snapshotFiles.state, 'pki'))) !== m.pki) {
        throw new UnusableSnapshotError(`snapshot ${m.name} of lab ${m.lab} is corrupt: its PKI does not match the manifest's fingerprint`, `remove it (metal-lab snapshot rm ${m.name} ${m.lab}), then bring the lab up and save it again`, 2);
      }
      return `made ${m.createdAt} from the same lab file, images${m.inputs.kubernetes ? ', Kubernetes build' : ''} and PKI (key ${m.key.slice(0, 12)})`;
    },
  };
  // The PKI among it: the lab files that follow render with the snapshot's own certificates and keys.
  const state: UpAction = {
    name: 'snapshot state',
    creates: true,
    async execute(ctx) {
      await fs.cp(path.join(dir, snapshotFiles.state), ctx.paths.root, { recursive: true });
    },
  };
  // The disk first: the memory it is restored with expects the disk as it was at that instant.
  const node = (name: string): UpAction => ({
    name: 'restore',
    node: name,
    async execute(ctx) {
      const names = labObjectNames(ctx.lab);
      await copyQcow2(path.join(dir, snapshotFiles.disk(name)), path.join(ctx.paths.disks, names.volume(name)));
      await refreshPool(names.pool);
      ctx.signal?.throwIfAborted();
      await restoreDomain(path.join(dir, snapshotFiles.memory(name)));
      ctx.changes[name] = 'created';
    },
  });
  const clocks: UpAction = {
    name: 'clocks',
    execute: (ctx) => stepNodeClocks(ctx.lab, ctx.boot, ctx.paths, ctx.probe?.timeoutScale ?? 1, ctx.steps),
  };
  const controllers: UpAction = {
    name: 'controller-manager tokens',
    execute: (ctx) => restartControllerManagers(ctx.lab, ctx.boot, ctx.paths, ctx.probe?.timeoutScale ?? 1, ctx.steps),
  };
  const checkConfigs = (digest: string) => {
    if (m.inputs.configs === digest) return;
    throw new UnusableSnapshotError(
      `snapshot ${m.name} of lab ${m.lab} was made from other node configs (${m.inputs.configs ? 'this metal-lab renders them differently' : 'its metal-lab did not record them'}): its nodes would run what they were installed with`,
      `save a new one with this metal-lab: metal-lab snapshot rm ${m.name} ${m.lab}, metal-lab up ${m.lab}, metal-lab snapshot save ${m.name} ${m.lab}`,
      2,
    );
  };
  // Every file's sha256 (most of a minute for a Kubernetes lab's disks and memory) once the cheap
  // checks have passed, and before the network, the boot server or any VM exists.
  const digests: UpAction = {
    name: 'snapshot digests',
    execute: (ctx) => verifySnapshotDigests(dir, m, (rel) => ctx.steps.activity(`sha256 of ${rel}`)),
  };
  return { beforeFiles: [check, state], afterFiles: [digests], nodes: [m.nodes.map((n) => node(n.name)), clocks, controllers], checkConfigs };
}

/**
 * `up --from`: the lab brought up as `up` does (same host checks, builds, lab files, network,
 * boot server and pool), its state, disks and memory from the snapshot, on the same MACs and
 * addresses; then every node's clock stepped. The snapshot's inputs and configs are checked
 * first, then its digests, before the lab has a network, a boot server or a VM.
 */
export async function upFromSnapshot(
  lab: LabSpec,
  m: SnapshotManifest,
  opts: { steps?: StepRunner; signal?: AbortSignal; host?: HostLayout; fluoSource?: SourceFile; preflight?: AccelProbe } = {},
): Promise<UpResult> {
  const host = opts.host ?? hostLayout();
  const steps = opts.steps ?? silentSteps;
  return up(lab, { ...opts, host, steps, boot: m.inputs.boot, from: restoreActions(m, snapshotDir(host, lab.id, m.name)) });
}
