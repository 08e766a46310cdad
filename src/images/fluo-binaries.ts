import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LabError } from '../errors.js';
import { FLUO_VERSION } from '../ground/cluster.js';
import { hostLayout } from '../ground/host-layout.js';
import { cachedBuild, readRecord, type BuildContext, type BuildReporting } from '../toolkit/cached-build.js';
import { runLogged } from '../toolkit/logged-command.js';
import { FLUO_COMMIT, FLUO_PIN, FLUO_TAG_URL, SOURCE_ENV, SOURCE_FLAG, downloadSource, verifySource, type SourceFile, type VerifiedSource } from './fluo-source.js';
import { binaryInfos, buildScript, describeBinaries, goVersion, type BinaryInfo } from './go-build.js';

/** Bump when build.sh or this module changes what ends up in bin/. */
const BUILDER_VERSION = 1;
/** src/images/fluo/build.sh */
const SCRIPT_DIR = 'fluo';
/** The operator (one per cluster, leader-elected) and the agent (one per node), as upstream ships them. */
export const FLUO_COMMANDS = ['update-operator', 'update-agent'] as const;

interface Manifest {
  key: string;
  /** What the binaries report: 0.9.0. */
  version: string;
  commit: string;
  /** The source as checked: where it came from and its digests. */
  source: { origin: string; tarballSha256: string; treeSha256: string };
  goVersion: string;
  binaries: Record<string, BinaryInfo>;
  buildSeconds: number;
}

export interface FluoBinaries extends Manifest {
  dir: string;
  binDir: string;
  built: boolean;
}

export interface FluoBuildOptions extends BuildReporting {
  cacheDir?: string;
  /** A local source tarball (chooseSource); without one, a miss downloads the tag's tarball. */
  source?: SourceFile;
  /** False: a miss without a source fails in one line instead of downloading (`up` never fetches from GitHub). */
  download?: boolean;
  /** Aborting stops a running build (its whole process group); nothing is published. */
  signal?: AbortSignal;
}

const root = (cacheDir?: string) => path.join(cacheDir ?? hostLayout().cacheRoot, 'fluo');
const readManifest = (dir: string) => readRecord<Manifest>(path.join(dir, 'manifest.json'));

async function runBuild(src: VerifiedSource, go: string, out: string, ctx: BuildContext, o: FluoBuildOptions): Promise<void> {
  const started = performance.now();
  ctx.progress(`from ${src.origin}`);
  await runLogged(['bash', buildScript(SCRIPT_DIR), out], {
    logFile: ctx.logFile,
    what: `building FLUO v${FLUO_VERSION} from source`,
    // Stopping the build (Ctrl-C) must stop go too, not just bash.
    processGroup: true,
    signal: o.signal,
    onLine: (line) => (line.startsWith('stage: ') ? ctx.progress(line.slice('stage: '.length)) : ctx.note(line)),
    env: {
      LC_ALL: 'C',
      FLUO_TARBALL: src.file,
      FLUO_TARBALL_SHA256: src.digests.tarball,
      FLUO_UNPINNED: FLUO_PIN.unpinned.join(' '),
      FLUO_VERSION,
      FLUO_COMMIT,
      // Shared by every build: after a builder bump only what changed is compiled again.
      FLUO_GOCACHE: path.join(root(o.cacheDir), 'go-build'),
    },
  });
  const manifest: Manifest = {
    key: ctx.key,
    version: FLUO_VERSION,
    commit: FLUO_COMMIT,
    source: { origin: src.origin, tarballSha256: src.digests.tarball, treeSha256: src.digests.tree },
    goVersion: go,
    binaries: await binaryInfos(path.join(out, 'bin'), FLUO_COMMANDS),
    buildSeconds: Math.round((performance.now() - started) / 1000),
  };
  await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * FLUO's update-operator and update-agent built from source with Debian's Go (fluo/build.sh),
 * cached under `<cacheDir>/fluo/<key>/`, keyed by the pinned source tree, the Go toolchain and the
 * build script: a second call builds nothing. A source given is checked against the pin even on a
 * hit (a wrong file is an error either way); without one, only a miss fetches the tag's tarball.
 */
export async function fluoBinaries(opts: FluoBuildOptions = {}): Promise<FluoBinaries> {
  let source = opts.source && (await verifySource(opts.source.file, opts.source.origin));
  const [go, script] = await Promise.all([goVersion('the update operator'), readFile(buildScript(SCRIPT_DIR))]);
  const sources = path.join(root(opts.cacheDir), 'sources');
  const r = await cachedBuild({
    onProgress: opts.onProgress,
    onHeartbeat: opts.onHeartbeat,
    signal: opts.signal,
    what: `FLUO v${FLUO_VERSION}`,
    root: root(opts.cacheDir),
    inputs: { builder: BUILDER_VERSION, version: FLUO_VERSION, commit: FLUO_COMMIT, tree: FLUO_PIN.tree, go, commands: FLUO_COMMANDS, script: createHash('sha256').update(script).digest('hex') },
    read: readManifest,
    // Before anything is written: offline with no local source, this is where it ends, in one line.
    preflight: async () => {
      if (!source && opts.download === false) {
        throw new LabError(
          `FLUO v${FLUO_VERSION} (the update operator) is not built in ${root(opts.cacheDir)} and no source was given`,
          `pass its source tarball with ${SOURCE_FLAG} FILE or ${SOURCE_ENV}=FILE (${FLUO_TAG_URL}), or build it first: metal-lab build fluo`,
          2,
        );
      }
      if (!source) opts.onProgress?.(`no ${SOURCE_FLAG} or ${SOURCE_ENV}: the tag's source tarball goes to ${sources}`);
      source ??= await downloadSource(sources);
    },
    build: (out, ctx) => runBuild(source!, go, out, ctx, opts),
    summary: describeBinaries,
  });
  return { ...r.value, dir: r.dir, binDir: path.join(r.dir, 'bin'), built: r.built };
}
