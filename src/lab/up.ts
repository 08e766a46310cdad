import { labObjectNames, type Accel, type LabSpec } from '../ground/lab-spec.js';
import { LabError } from '../errors.js';
import { probeAccel } from '../libvirt/accel.js';
import { ensureNetwork, networkInfo } from '../libvirt/network.js';
import { ensurePool, ensureVolume } from '../libvirt/pool.js';
import { ensureDomain } from '../libvirt/domain.js';
import { preflightLab } from '../preflight/preflight.js';
import { buildLiveImage } from '../images/labos-live.js';
import { buildDiskImage } from '../images/labos-disk.js';
import { kubeBinaries } from '../images/kubernetes-binaries.js';
import { buildKubeImages } from '../images/oci/kube-images.js';
import { placeKubeAssets } from './kube-assets.js';
import { ensureLabPki } from '../pki/ensure.js';
import { renderLiveMatchboxData } from '../render/matchbox-live.js';
import { renderInstallMatchboxData } from '../render/matchbox-install.js';
import { bootServerPids, ensureBootServer } from './boot-server.js';
import { readLabState, writeLabState } from './state.js';
import { makeLabDirs, renderedFiles, writeLabFiles } from './lab-files.js';
import { down } from './down.js';
import { silentSteps, type StepRunner } from './steps.js';

export interface UpResult {
  accel: Accel;
  timeoutScale: number;
  /** What each action did; all 'unchanged' on a repeated `up`. */
  changes: Record<string, 'created' | 'started' | 'unchanged'>;
}

/**
 * Brings a lab up: checks the host, builds the node image, then creates the network, boot
 * server, disks and VMs. Idempotent: an existing lab is left as it is. Nothing is created before
 * every check passed; if creating fails or the signal aborts (Ctrl-C), what this call created is
 * removed again.
 */
/**
 * What the nodes boot: the live image (the PXE layer), or the installer that puts labos on the
 * disk, after which each node boots from disk and Ignition configures it.
 */
export type BootMode = 'live' | 'install';

/** Kubernetes built from Debian's source and its container images, both cached after the first build. */
async function kubernetesArtifacts(lab: LabSpec, steps: StepRunner, signal?: AbortSignal) {
  const bins = await steps.step('kubernetes binaries', undefined, () => kubeBinaries({ onProgress: (m) => steps.info(m), signal }));
  const wanted = lab.kubernetes?.version;
  if (wanted && wanted !== bins.version) {
    throw new LabError(`lab ${lab.id} asks for Kubernetes ${wanted}, but Debian's source package builds ${bins.version}`, `set kubernetes.version: ${bins.version} in ${lab.file}, or leave the version out`, 2);
  }
  const images = await steps.step('container images', undefined, () =>
    buildKubeImages({ binDir: bins.binDir, version: bins.version, onProgress: (m) => steps.info(m) }),
  );
  return { bins, images };
}

export async function up(lab: LabSpec, opts: { steps?: StepRunner; signal?: AbortSignal; boot?: BootMode } = {}): Promise<UpResult> {
  const steps = opts.steps ?? silentSteps;
  const names = labObjectNames(lab);

  const probe = await steps.step('accelerator', undefined, () => probeAccel(lab.accelerator));
  steps.info(`accelerator: ${probe.accel} (${probe.reason})`);

  const existed = (await readLabState(lab.id)) !== undefined;
  await steps.step('preflight', undefined, async () => {
    // The installer writes a BIOS boot loader (syslinux MBR + extlinux): OVMF would not boot the
    // disk and fall back to PXE, reinstalling forever.
    const uefi = lab.nodes.find((n) => n.firmware === 'uefi');
    if (opts.boot === 'install' && uefi) {
      throw new LabError(`${uefi.name} boots UEFI, and installing to disk supports BIOS nodes only so far`, `set firmware: bios for it in ${lab.file}`, 2);
    }
    if (lab.kubernetes && opts.boot !== 'install') {
      throw new LabError(`lab ${lab.id} runs Kubernetes, which needs labos installed on the nodes' disks`, 'bring it up with --boot install (or a scenario step `up: { boot: install }`)', 2);
    }
    await preflightLab(lab, {
      ownBridge: (await networkInfo(names.network))?.bridge === lab.network.bridge,
      ownServer: (await bootServerPids(lab)).length > 0,
    });
  });
  const image = await steps.step('labos live image', undefined, () => buildLiveImage({ onProgress: (m) => steps.info(m) }));
  const disk = opts.boot === 'install'
    ? await steps.step('labos disk image', undefined, () => buildDiskImage({ onProgress: (m) => steps.info(m) }))
    : undefined;
  const kube = disk && lab.kubernetes ? await kubernetesArtifacts(lab, steps, opts.signal) : undefined;
  opts.signal?.throwIfAborted();

  const changes: UpResult['changes'] = {};
  const files = renderedFiles(lab);
  try {
    await steps.step('lab files', undefined, async () => {
      await makeLabDirs(lab);
      const kubeAssets = kube && (await placeKubeAssets(lab, kube.bins, kube.images));
      const data = disk
        ? renderInstallMatchboxData(lab, await ensureLabPki(lab), { timeoutScale: probe.timeoutScale, kube: kubeAssets })
        : renderLiveMatchboxData(lab);
      await writeLabFiles(lab, probe.accel, { live: image, disk: disk && { rootfs: disk.rootfs } }, data);
      await writeLabState({ id: lab.id, lab, accel: probe.accel, timeoutScale: probe.timeoutScale, createdAt: new Date().toISOString() });
    });
    opts.signal?.throwIfAborted();
    changes.network = await steps.step('network', undefined, () => ensureNetwork(names.network, files.network));
    opts.signal?.throwIfAborted();
    changes['boot server'] = await steps.step('boot server', undefined, () => ensureBootServer(lab));
    changes.pool = await steps.step('disk pool', undefined, () => ensurePool(names.pool, files.pool));
    await Promise.all(
      lab.nodes.map(async (node) => {
        opts.signal?.throwIfAborted();
        await steps.step('vm', node.name, async () => {
          changes[`${node.name} disk`] = await ensureVolume(names.pool, names.volume(node.name), files.volume(node.name));
          opts.signal?.throwIfAborted();
          changes[node.name] = await ensureDomain(names.domain(node.name), files.domain(node.name));
        });
      }),
    );
    opts.signal?.throwIfAborted();
  } catch (err) {
    if (opts.signal?.aborted || !existed) await down(lab.id);
    throw err;
  }
  return { accel: probe.accel, timeoutScale: probe.timeoutScale, changes };
}
