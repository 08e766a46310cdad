import { chmod, copyFile, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { FLUO_KEYS, GUARD_KEYS } from '../../../../src/guard/keys.js';
import { APP_DIR, buildGuardImage, GUARD_ENTRYPOINT, PROJECT_ROOT, type GuardImage } from '../../../../src/images/oci/guard-image.js';
import { loadKubeconfig } from '../../../../src/kube/client.js';
import { EVENT_NAMESPACE } from '../../../../src/render/update-operator/guard-contract.js';
import { pending, waitFor } from '../../../../src/toolkit/wait-for.js';
import { launchScoped, tail } from '../../../support/child-processes.js';
import { ENVTEST_NEEDS, startEnvtest } from '../../../support/envtest.js';
import { needs, program, root } from '../../../support/needs.js';
import { sha256Of, umociUnpack, type Unpacked } from '../../../support/umoci.js';

// apt fetches Debian's node, umoci unpacks the image, chroot (a Debian essential) runs node in its
// root: no container runtime. The last test runs the guard there against a real kube-apiserver.
const test = needs(root, program('apt-get', 'apt'), program('umoci', 'umoci'), ...ENVTEST_NEEDS);

let work = '';
let image: GuardImage;
let unpacked: Unpacked;
let buildMs = 0;

/**
 * The project compiled afresh into a dir of its own beside the real sources and packages, so the
 * test neither needs nor touches the worktree's dist/ (nodeAppFiles refuses a stale one).
 */
async function compiledProject(dir: string): Promise<string> {
  const project = path.join(dir, 'project');
  await execa('npx', ['tsc', '-p', path.join(PROJECT_ROOT, 'tsconfig.json'), '--outDir', path.join(project, 'dist')], { cwd: PROJECT_ROOT });
  for (const name of ['src', 'node_modules']) await symlink(path.join(PROJECT_ROOT, name), path.join(project, name));
  await copyFile(path.join(PROJECT_ROOT, 'package.json'), path.join(project, 'package.json'));
  return project;
}

test.before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'guard-image-test-'));
  const project = await compiledProject(work);
  const started = Date.now();
  image = await buildGuardImage({ cacheDir: path.join(work, 'cache'), root: project });
  buildMs = Date.now() - started;
  unpacked = await umociUnpack(image.archive, image.ref.split(':').pop()!, path.join(work, 'unpacked'));
});
test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** The Deployment runs the guard as 65534 (nobody). */
const AS_NOBODY = '--userspec=65534:65534';
const inImage = (args: string[], chrootFlags: string[] = []) => execa('chroot', [...chrootFlags, unpacked.rootfs, ...args], { reject: false, env: { PATH } });

test.serial("the image: Debian's node runs the compiled guard as its entrypoint, from the app dir, in under 60 MB", async (t) => {
  t.log(`${image.ref}: ${(image.bytes / 1e6).toFixed(1)} MB, built in ${(buildMs / 1000).toFixed(1)}s`);
  t.is(image.ref, 'metal-lab.local/rollout-guard:v0.1.0');
  t.deepEqual(unpacked.process.args, GUARD_ENTRYPOINT);
  t.deepEqual(GUARD_ENTRYPOINT, ['/usr/bin/node', '/opt/metal-lab/dist/guard/main.js']);
  t.is(unpacked.process.cwd, APP_DIR);
  t.true(image.bytes < 60e6, `${image.bytes} bytes`);
  const version = await inImage(['/usr/bin/node', '--version']);
  t.regex(version.stdout, /^v18\./, "bookworm's nodejs, not the host's");
  t.is(version.stderr, '', 'no warning at start (the CA bundle it looks for is there)');
  const app = path.join(unpacked.rootfs, APP_DIR);
  t.like(JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8')), { name: 'metal-lab', type: 'module' });
  // What runs is what was compiled, and only the guard's part of it.
  t.is(await sha256Of(path.join(app, 'dist/guard/main.js')), await sha256Of(path.join(work, 'project/dist/guard/main.js')));
  t.deepEqual((await readdir(path.join(app, 'dist'))).sort(), ['errors.js', 'guard', 'kube', 'render', 'spec', 'toolkit']);
  const files = (await readdir(app, { recursive: true })).map(String);
  t.false(files.some((f) => /\.(d\.ts|map|ts)$/.test(f)), 'no types, sources or maps');
  t.true(files.includes('node_modules/@kubernetes/client-node/package.json'));
  t.false(files.some((f) => f.startsWith('node_modules/@types/') || f.startsWith('node_modules/ava/')), 'no type or dev packages');
});

test.serial("node in the image runs the guard: --help, as the Deployment's user (65534)", async (t) => {
  const r = await inImage([...GUARD_ENTRYPOINT, '--help'], [AS_NOBODY]);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^Usage: rollout-guard \[options\]/);
  t.regex(r.stdout, /--namespace <ns>/);
});

test.serial('the guard in the image lets a node the operator selected go, on a real kube-apiserver', async (t) => {
  const env = await startEnvtest();
  t.teardown(() => env.stop());
  const kc = loadKubeconfig(env.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  // A node the operator selected (before-reboot), as FLUO labels it; no pods, no budgets.
  await core.createNode({ body: { metadata: { name: 'node1', labels: { [FLUO_KEYS.beforeReboot]: 'true' } } } });
  // Into the image's root, readable by the Deployment's user; the apiserver is on loopback, shared with the chroot.
  const kubeconfig = path.join(unpacked.rootfs, 'tmp/kubeconfig');
  await copyFile(env.kubeconfig, kubeconfig);
  await chmod(kubeconfig, 0o644);
  const log = path.join(work, 'guard.log');
  launchScoped('chroot', [AS_NOBODY, unpacked.rootfs, ...GUARD_ENTRYPOINT, '--kubeconfig', '/tmp/kubeconfig', '--interval', '1s'], log, { PATH }, t);

  const node = await waitFor('the guard to set its before-reboot hook on node1', async () => {
    const n = await core.readNode({ name: 'node1' });
    return n.metadata?.annotations?.[GUARD_KEYS.beforeHook] === 'true' ? n : pending(tail(log, 5) || 'no output yet');
  }, { deadline: Date.now() + 60_000, intervalMs: 500, evidence: [log] });
  t.is(node.metadata?.annotations?.[GUARD_KEYS.fromVersion], undefined, 'the node reports no version: none noted');
  const events = (await core.listNamespacedEvent({ namespace: EVENT_NAMESPACE })).items.filter((e) => e.involvedObject.name === 'node1');
  t.deepEqual(events.map((e) => `${e.type} ${e.reason} ${e.source?.component}`), ['Normal RebootAllowed metal-lab-rollout-guard']);
  const said = tail(log, 50);
  t.regex(said, /rollout-guard: passes every 1s/);
  t.notRegex(said, /pass failed/);
});
