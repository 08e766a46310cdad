import { LabError } from '../errors.js';
import { hostLayout, type HostLayout, type LabLayout } from '../ground/host-layout.js';
import type { BootMode } from '../ground/lab-model.js';
import { labObjectNames, type Accel, type LabSpec, type NodeSpec } from '../ground/lab-spec.js';
import type { DiskImage } from '../images/labos-disk.js';
import { buildLiveImage, type LiveImage } from '../images/labos-live.js';
import { chooseSource, type SourceFile } from '../images/fluo-source.js';
import type { KubeBinaries } from '../images/kubernetes-binaries.js';
import type { BuiltImage } from '../images/oci/cached-image.js';
import type { KubeImages } from '../images/oci/kube-images.js';
import type { AccelProbe } from '../libvirt/accel.js';
import { defineDomain, startDomain } from '../libvirt/domain.js';
import { passIpxePrompt } from '../libvirt/ipxe-prompt.js';
import { ensureNetwork } from '../libvirt/network.js';
import { ensurePool, ensureVolume } from '../libvirt/pool.js';
import { preflightLab } from '../preflight/preflight.js';
import { renderLabPlan } from '../render/plan.js';
import { checkBootMode } from '../spec/boot-mode.js';
import { runActions, type Action, type Actions } from './action.js';
import { ensureBootServer } from './boot-server.js';
import { down } from './down.js';
import { labInputs, planDigest, type LabInputs } from './lab-inputs.js';
import { readLabState, writeLabState } from './state.js';
import { silentSteps, type StepRunner } from './steps.js';
import { writePlan } from './write-plan.js';

export interface UpResult {
  accel: Accel;
  timeoutScale: number;
  /** What each action did; all 'unchanged' on a repeated `up`. */
  changes: Record<string, 'created' | 'started' | 'unchanged'>;
}

/** What the actions of `up` share: the lab, where it lives, and what earlier actions found or built. */
export interface UpContext {
  lab: LabSpec;
  boot: BootMode;
  host: HostLayout;
  paths: LabLayout;
  steps: StepRunner;
  signal?: AbortSignal;
  probe?: AccelProbe;
  live?: LiveImage;
  disk?: DiskImage;
  bins?: KubeBinaries;
  images?: KubeImages;
  /** FLUO's source for a build `up` has to make: `--fluo-source` or METAL_LAB_FLUO_SOURCE. */
  fluoSource?: SourceFile;
  /** What the nodes preload besides the kube images: the update operator's and the rollout guard's. */
  updateImages: BuiltImage[];
  changes: UpResult['changes'];
  from?: UpFrom;
}

export type UpAction = Action<UpContext>;

/** `up --from` a snapshot: its own actions around the lab files, and in place of creating the nodes. */
export interface UpFrom {
  /** After the builds, before the lab files: the snapshot checked against what was built, its state put in place. */
  beforeFiles: UpAction[];
  /** After the lab files (whose configs check refuses a stale snapshot in seconds), before anything outside the lab's state dir. */
  afterFiles: UpAction[];
  /** After the network, boot server and disk pool, in place of a fresh disk and VM per node. */
  nodes: Actions<UpContext>;
  /** The configs rendered now (with the snapshot's PKI) against the snapshot's, before any is written. */
  checkConfigs(digest: string): void;
}

/** Which of the earlier actions' results an action needs; the list's order guarantees them. */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`up: ${what} is needed before this action`);
  return value;
}

/** A build's reporting: its step lines kept in the timeline, its heartbeats only shown. */
const progress = (ctx: UpContext) => ({ onProgress: (m: string) => ctx.steps.info(m), onHeartbeat: (m: string) => ctx.steps.activity(m) });

/** The host checked for everything the lab asks of it (unless the caller just did); the accelerator it runs on, said under the line. */
const preflight: UpAction = {
  name: 'preflight',
  async execute(ctx) {
    ctx.probe ??= await preflightLab(ctx.lab, ctx.host);
    return `accelerator: ${ctx.probe.accel} (${ctx.probe.reason})`;
  },
};

const liveImage: UpAction = {
  name: 'labos live image',
  async execute(ctx) {
    ctx.live = await buildLiveImage({ cacheDir: ctx.host.cacheRoot, ...progress(ctx) });
  },
};

// A builder's modules are loaded by its action: a live lab's `up` does not pay for the disk
// image's, Kubernetes', FLUO's or the PKI's imports (half a second on a slow 2-core machine).
const diskImage: UpAction = {
  name: 'labos disk image',
  async execute(ctx) {
    const { buildDiskImage } = await import('../images/labos-disk.js');
    ctx.disk = await buildDiskImage({ cacheDir: ctx.host.cacheRoot, ...progress(ctx) });
  },
};

/** Kubernetes built from Debian's source: cached after the first build. */
const kubernetesBinaries: UpAction = {
  name: 'kubernetes binaries',
  async execute(ctx) {
    const { kubeBinaries } = await import('../images/kubernetes-binaries.js');
    const bins = await kubeBinaries({ cacheDir: ctx.host.cacheRoot, ...progress(ctx), signal: ctx.signal });
    // The load holds a lab to the version metal-lab renders for; this is Debian's package moving away from it.
    const wanted = ctx.lab.kubernetes?.version;
    if (wanted && wanted !== bins.version) {
      throw new LabError(`Debian's kubernetes source package builds ${bins.version}, and metal-lab renders for ${wanted}`, `use Debian 12's apt sources, whose package builds ${wanted}`);
    }
    ctx.bins = bins;
  },
};

const containerImages: UpAction = {
  name: 'container images',
  async execute(ctx) {
    const { binDir, version } = need(ctx.bins, 'the Kubernetes binaries');
    const { buildKubeImages } = await import('../images/oci/kube-images.js');
    ctx.images = await buildKubeImages({ binDir, version, cacheDir: ctx.host.cacheRoot, ...progress(ctx) });
  },
};

/** FLUO's binaries (cached, or built from the source given; never downloaded here) and their image. */
const updateOperatorImage: UpAction = {
  name: 'update operator image',
  async execute(ctx) {
    const shared = { cacheDir: ctx.host.cacheRoot, ...progress(ctx) };
    const [{ fluoBinaries }, { buildFluoImage }] = await Promise.all([import('../images/fluo-binaries.js'), import('../images/oci/fluo-image.js')]);
    const bins = await fluoBinaries({ ...shared, source: ctx.fluoSource, download: false, signal: ctx.signal });
    ctx.updateImages.push(await buildFluoImage({ ...shared, bins }));
  },
};

/** The rollout guard of this very metal-lab, compiled, beside Debian's node. */
const rolloutGuardImage: UpAction = {
  name: 'rollout guard image',
  async execute(ctx) {
    const { buildGuardImage } = await import('../images/oci/guard-image.js');
    ctx.updateImages.push(await buildGuardImage({ cacheDir: ctx.host.cacheRoot, ...progress(ctx) }));
  },
};

/** What the lab is made from, as built by the actions so far. */
export function builtInputs(ctx: UpContext): LabInputs {
  return labInputs({ boot: ctx.boot, lab: ctx.lab, live: need(ctx.live, 'the live image'), disk: ctx.disk, bins: ctx.bins, images: [...(ctx.images?.images ?? []), ...ctx.updateImages] });
}

/** What installing to disk adds to the plan: the lab's PKI, and its Kubernetes assets in a Kubernetes lab. */
async function installInputs(ctx: UpContext, disk: DiskImage) {
  const [{ describeKubeAssets }, { ensureLabPki }] = await Promise.all([import('./kube-assets.js'), import('../pki/ensure.js')]);
  const kube = ctx.bins && (await describeKubeAssets(ctx.lab, ctx.bins, [...need(ctx.images, 'the container images').images, ...ctx.updateImages]));
  return { rootfs: disk.rootfs, usr: disk.usr, pki: await ensureLabPki(ctx.lab, { dir: ctx.paths.pki }), kube };
}

/** The render plan written into the lab's state dir, then the state that later commands read. */
const labFiles: UpAction = {
  name: 'lab files',
  creates: true,
  async execute(ctx) {
    const { lab, paths } = ctx;
    const probe = need(ctx.probe, 'the accelerator');
    const install = ctx.disk && (await installInputs(ctx, ctx.disk));
    const plan = renderLabPlan(lab, { accel: probe.accel, timeoutScale: probe.timeoutScale, paths, live: need(ctx.live, 'the live image'), install });
    const configs = planDigest(plan);
    ctx.from?.checkConfigs(configs);
    await writePlan(paths.root, plan);
    await writeLabState(paths, { id: lab.id, lab, accel: probe.accel, timeoutScale: probe.timeoutScale, createdAt: new Date().toISOString(), inputs: { ...builtInputs(ctx), configs } });
  },
};

const network: UpAction = {
  name: 'network',
  async execute(ctx) {
    ctx.changes.network = await ensureNetwork(labObjectNames(ctx.lab).network, ctx.paths.networkXml);
  },
};

const bootServer: UpAction = {
  name: 'boot server',
  async execute(ctx) {
    ctx.changes['boot server'] = await ensureBootServer(ctx.lab, ctx.paths);
  },
};

const diskPool: UpAction = {
  name: 'disk pool',
  async execute(ctx) {
    ctx.changes.pool = await ensurePool(labObjectNames(ctx.lab).pool, ctx.paths.poolXml);
  },
};

/**
 * The disk pool and then every node's disk, beside every VM definition. libvirt resolves a
 * domain's network and volume when it starts, so a definition needs neither the network, the
 * boot server nor the disk.
 */
const machines: UpAction = {
  name: 'disks and VMs',
  async execute(ctx) {
    const names = labObjectNames(ctx.lab);
    const disks = async () => {
      await diskPool.execute(ctx);
      await Promise.all(ctx.lab.nodes.map(async (node) => {
        ctx.changes[`${node.name} disk`] = await ensureVolume(names.pool, names.volume(node.name), ctx.paths.volumeXml(node.name));
      }));
    };
    const define = async (node: NodeSpec) => {
      if (await defineDomain(names.domain(node.name), ctx.paths.domainXml(node.name))) ctx.changes[node.name] = 'created';
    };
    await Promise.all([disks(), ...ctx.lab.nodes.map(define)]);
  },
};

/** A node's VM started unless it runs; a new one, whose blank disk sends it to iPXE, is let past iPXE's prompt. */
const power = (node: NodeSpec): UpAction => ({
  name: 'power on',
  node: node.name,
  async execute(ctx) {
    const domain = labObjectNames(ctx.lab).domain(node.name);
    const started = await startDomain(domain);
    ctx.changes[node.name] ??= started ? 'started' : 'unchanged';
    if (ctx.changes[node.name] === 'created') await passIpxePrompt(domain, ctx.paths.console(node.name), { signal: ctx.signal });
  },
});

/**
 * `up`, as kind's create: check the host, build what the nodes boot, write the lab's files, then
 * create the network, boot server, disks and VM definitions at once, then start every VM. Nothing
 * is created before every check passed and every image is built.
 */
export function upActions(lab: LabSpec, boot: BootMode, from?: UpFrom): Actions<UpContext> {
  return [
    preflight,
    // First of the builds: a missing FLUO source or an uncompiled guard is told in seconds, not after Kubernetes'.
    ...(lab.kubernetes && lab.updates ? [updateOperatorImage, rolloutGuardImage] : []),
    liveImage,
    ...(boot === 'install' ? [diskImage] : []),
    ...(lab.kubernetes ? [kubernetesBinaries, containerImages] : []),
    ...(from?.beforeFiles ?? []),
    labFiles,
    ...(from?.afterFiles ?? []),
    // The boot server binds once the network has its address; no VM starts before it answers.
    ...(from ? [[network, bootServer, diskPool], ...from.nodes] : [[network, bootServer, machines], lab.nodes.map(power)]),
  ];
}

/**
 * Brings a lab up. Idempotent: an existing lab is left as it is. The lab and boot mode are
 * checked first; if creating fails or the signal aborts (Ctrl-C), a lab this call created is
 * removed again, as is anything an aborted call created.
 */
export async function up(
  lab: LabSpec,
  opts: {
    steps?: StepRunner;
    signal?: AbortSignal;
    boot?: BootMode;
    host?: HostLayout;
    fluoSource?: SourceFile;
    from?: UpFrom;
    /** The caller's preflightLab of this lab, run just before: up does not check the host again. */
    preflight?: AccelProbe;
  } = {},
): Promise<UpResult> {
  const boot = opts.boot ?? 'live';
  checkBootMode(lab, boot);
  const host = opts.host ?? hostLayout();
  const paths = host.lab(lab.id);
  const steps = opts.steps ?? silentSteps;
  const existed = (await readLabState(paths)) !== undefined;
  // A scenario's `up` step has no flag to pass: the environment names the source there.
  const fluoSource = opts.fluoSource ?? chooseSource(undefined, process.env);
  const ctx: UpContext = { lab, boot, host, paths, steps, signal: opts.signal, probe: opts.preflight, fluoSource, updateImages: [], changes: {}, from: opts.from };
  await runActions(upActions(lab, boot, opts.from), ctx, {
    steps,
    signal: opts.signal,
    undo: async () => {
      if (opts.signal?.aborted || !existed) await down(lab.id, host);
    },
  });
  const probe = need(ctx.probe, 'the accelerator');
  return { accel: probe.accel, timeoutScale: probe.timeoutScale, changes: ctx.changes };
}
