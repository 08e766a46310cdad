import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HostError } from '../errors.js';
import { hostLayout } from '../ground/host-layout.js';
import { CommandError } from '../toolkit/command-error.js';
import { runLogged } from '../toolkit/logged-command.js';
import { cachedBuild, readRecord, type BuildContext, type BuildReporting } from '../toolkit/cached-build.js';
import { aptAnswer } from './apt-answers.js';
import { hostAptSites } from './apt.js';
import { binaryInfos, buildScript, describeBinaries, goVersion, type BinaryInfo } from './go-build.js';
import { newestSourceVersion, privateApt, type PrivateApt } from './private-apt.js';

/** Bump when build.sh or this module changes what ends up in bin/. */
const BUILDER_VERSION = 1;
const SOURCE_PACKAGE = 'kubernetes';
/** Replaces the tree's vendored reflect2 v1.0.1, which faults under Go 1.18+ (see build.sh). */
const REFLECT2_PACKAGE = 'golang-github-modern-go-reflect2';
/** src/images/kubernetes/build.sh */
const SCRIPT_DIR = 'kubernetes';

/** What the lab runs: the control plane and node binaries, kubectl for the nodes and the host. */
export const KUBE_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'kubelet', 'kubectl'] as const;
/** Compiled from build/pause/linux/pause.c of the same tree. */
export const PAUSE = 'pause';

interface Manifest {
  key: string;
  /** Debian's source version, e.g. 1.20.5+really1.20.2-1.1+deb12u1. */
  sourceVersion: string;
  /** What the binaries report, e.g. v1.20.2. */
  version: string;
  goVersion: string;
  binaries: Record<string, BinaryInfo>;
  buildSeconds: number;
}

export interface KubeBinaries extends Manifest {
  dir: string;
  binDir: string;
  built: boolean;
}

/**
 * The upstream release inside a Debian version: `1.20.5+really1.20.2-1.1+deb12u1` -> v1.20.2
 * (Debian's "+really" marks a tree older than the version number claims).
 */
export function upstreamVersion(debianVersion: string): string {
  const noEpoch = debianVersion.replace(/^\d+:/, '');
  const really = /\+really([0-9][^-+~]*)/.exec(noEpoch);
  const upstream = really?.[1] ?? noEpoch.split('-')[0]!.split(/[+~]/)[0]!;
  return `v${upstream}`;
}

interface Inputs {
  sourceVersion: string;
  reflect2Version: string;
  version: string;
  goVersion: string;
  /** A private apt with Debian's source indexes, asked for when a build needs the source. */
  apt: () => Promise<PrivateApt>;
  /** What the cache key is made of. */
  cacheInputs: unknown;
}

const root = (cacheDir?: string) => path.join(cacheDir ?? hostLayout().cacheRoot, 'kubernetes');
/** The unpacked source, at one path for every build (Go's cache keys on it); build.sh removes it. */
const workDir = (cacheDir?: string) => path.join(root(cacheDir), 'work');

/** Asks Debian's archive, through a private apt, which kubernetes source is current (a loaded bundle knows). */
async function resolveInputs(cacheDir?: string): Promise<Inputs> {
  const apt = async () => privateApt(path.join(root(cacheDir), 'apt'), (await hostAptSites()).map((s) => `deb-src ${s.site} ${s.suite} main`));
  const [[sourceVersion, reflect2Version], go, script] = await Promise.all([
    aptAnswer(`newest source ${SOURCE_PACKAGE} ${REFLECT2_PACKAGE}`, async () => {
      const asked = await apt();
      return Promise.all([newestSourceVersion(asked, SOURCE_PACKAGE), newestSourceVersion(asked, REFLECT2_PACKAGE)]);
    }),
    goVersion('Kubernetes'),
    readFile(buildScript(SCRIPT_DIR)),
  ]);
  const cacheInputs = {
    builder: BUILDER_VERSION,
    sourceVersion,
    reflect2Version,
    go,
    commands: KUBE_COMMANDS,
    script: createHash('sha256').update(script).digest('hex'),
  };
  return { sourceVersion, reflect2Version, version: upstreamVersion(sourceVersion), goVersion: go, apt, cacheInputs };
}

const readManifest = (dir: string) => readRecord<Manifest>(path.join(dir, 'manifest.json'));

/** The newest finished build of any key: what an offline host falls back to. */
async function newestCached(cacheDir?: string): Promise<{ dir: string; manifest: Manifest } | undefined> {
  const names = await readdir(root(cacheDir)).catch(() => [] as string[]);
  let best: { dir: string; manifest: Manifest; mtime: number } | undefined;
  for (const name of names) {
    const dir = path.join(root(cacheDir), name);
    const manifest = await readManifest(dir).catch(() => undefined);
    if (!manifest) continue;
    const mtime = (await stat(path.join(dir, 'manifest.json'))).mtimeMs;
    if (!best || mtime > best.mtime) best = { dir, manifest, mtime };
  }
  return best;
}

async function runBuild(inp: Inputs, out: string, ctx: BuildContext, { cacheDir, signal }: BuildOptions): Promise<void> {
  const started = performance.now();
  ctx.progress(`from Debian's source ${inp.sourceVersion}: about 10 min cold on 2 cores`);
  const apt = await inp.apt();
  await runLogged(['bash', buildScript(SCRIPT_DIR), out], {
    logFile: ctx.logFile,
    what: "building Kubernetes from Debian's source",
    // Stopping the build (Ctrl-C) must stop make and go too, not just bash.
    processGroup: true,
    signal,
    onLine: (line) => (line.startsWith('stage: ') ? ctx.progress(`${line.slice('stage: '.length)} (${elapsed(started)})`) : ctx.note(line)),
    env: {
      LC_ALL: 'C',
      K8S_APT_OPTS: apt.options.join(' '),
      K8S_SRC_VERSION: inp.sourceVersion,
      K8S_REFLECT2_VERSION: inp.reflect2Version,
      K8S_GIT_VERSION: inp.version,
      K8S_WHAT: KUBE_COMMANDS.map((c) => `cmd/${c}`).join(' '),
      // Shared by every build: after a builder bump only what changed is compiled again.
      K8S_GOCACHE: path.join(root(cacheDir), 'go-build'),
      K8S_WORK: workDir(cacheDir),
    },
  });
  const binaries = await binaryInfos(path.join(out, 'bin'), [...KUBE_COMMANDS, PAUSE]);
  const manifest: Manifest = {
    key: ctx.key,
    sourceVersion: inp.sourceVersion,
    version: inp.version,
    goVersion: inp.goVersion,
    binaries,
    buildSeconds: Math.round((performance.now() - started) / 1000),
  };
  await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

const elapsed = (since: number) => `${Math.round((performance.now() - since) / 1000)}s`;

const describe = (dir: string, manifest: Manifest, built: boolean): KubeBinaries => ({ ...manifest, dir, binDir: path.join(dir, 'bin'), built });

/**
 * Kubernetes' binaries built from Debian's source package by `go build` (kubernetes/build.sh),
 * cached under `<cacheDir>/kubernetes/<key>/`, keyed by the source version, the Go toolchain and
 * the build script: a second call builds nothing. When the archive cannot be asked (offline), the
 * newest finished build is used. Building needs root, golang-go, rsync, dpkg-dev and gcc.
 */
interface BuildOptions extends BuildReporting {
  cacheDir?: string;
  /** Aborting stops a running build (its whole process group); nothing is published. */
  signal?: AbortSignal;
}

export async function kubeBinaries(opts: BuildOptions = {}): Promise<KubeBinaries> {
  const progress = opts.onProgress ?? (() => {});
  progress(`resolving Debian's ${SOURCE_PACKAGE} source version with a private apt`);
  let inputs: Inputs;
  try {
    inputs = await resolveInputs(opts.cacheDir);
  } catch (err) {
    const fallback = await newestCached(opts.cacheDir);
    // Offline: apt cannot reach the archive (or is not there to ask).
    if (!fallback || !(err instanceof HostError || err instanceof CommandError)) throw err;
    progress(`${err.message}; using the newest cached build ${fallback.manifest.version} at ${fallback.dir}`);
    return describe(fallback.dir, fallback.manifest, false);
  }
  const r = await cachedBuild({
    onProgress: opts.onProgress,
    onHeartbeat: opts.onHeartbeat,
    signal: opts.signal,
    what: `Kubernetes ${inputs.version}`,
    root: root(opts.cacheDir),
    inputs: inputs.cacheInputs,
    read: readManifest,
    preflight: async () => {
      if (process.getuid?.() !== 0) throw new HostError('building Kubernetes needs root (apt source into a root-owned cache)', 'run the build as root');
    },
    build: (out, ctx) => runBuild(inputs, out, ctx, opts),
    summary: describeBinaries,
  });
  return describe(r.dir, r.value, r.built);
}
