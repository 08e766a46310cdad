import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { hostLayout } from '../../src/ground/host-layout.js';
import { cli } from '../e2e/helpers.js';
import { fluoSource, SHARED_FLUO_SOURCE } from '../support/fluo.js';
import { libvirtd, needs, program, root, virsh } from '../support/needs.js';

// The workshop laptop's path, on this host: a Debian 12 box the project builds itself
// (vagrant/build-box.sh), `vagrant up --provider=libvirt` with a workshop bundle (so the VM's
// network is isolated and provisioning fetches nothing), then inside the VM `metal-lab doctor`
// and `metal-lab run` (pxe-boot, QEMU under TCG inside a TCG guest), and `vagrant destroy`.

const repo = path.resolve(import.meta.dirname, '../..');
const test = needs(root, virsh, libvirtd, fluoSource, program('vagrant', 'vagrant'), program('sfdisk', 'fdisk'));
const buildBox = path.join(repo, 'vagrant/build-box.sh');

/** libvirt's objects on this host, to show that the Vagrant VM left none behind. */
async function libvirtObjects(): Promise<string[]> {
  const list = async (...args: string[]) => (await execa('virsh', ['-q', '-c', 'qemu:///system', ...args])).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const pools = await list('pool-list', '--all', '--name');
  const volumes = await Promise.all(pools.map(async (p) => (await list('vol-list', p)).map((v) => `volume ${p}/${v.split(/\s+/)[0]}`)));
  return [
    ...(await list('list', '--all', '--name')).map((d) => `domain ${d}`),
    ...(await list('net-list', '--all', '--name')).map((n) => `network ${n}`),
    ...pools.map((p) => `pool ${p}`),
    ...volumes.flat(),
  ].sort();
}

/** The box, built once per version of the script that builds it. */
async function box(t: { log(...v: unknown[]): void }): Promise<string> {
  const key = createHash('sha256').update(await fs.readFile(buildBox)).digest('hex').slice(0, 16);
  const file = path.join(hostLayout().cacheRoot, 'vagrant-box', `debian12-${key}.box`);
  if (existsSync(file)) return file;
  const started = Date.now();
  await execa(buildBox, [file], { stdio: 'inherit' });
  t.log(`box built in ${Math.round((Date.now() - started) / 1000)}s: ${((await fs.stat(file)).size / 1e6).toFixed(0)} MB`);
  return file;
}

test('vagrant up from a self-built Debian 12 box with a bundle: doctor and pxe-boot inside, destroy leaves nothing', async (t) => {
  t.timeout(240 * 60_000);
  const before = await libvirtObjects();
  const boxFile = await box(t);
  await fs.mkdir('/var/tmp', { recursive: true });
  const dir = await fs.mkdtemp('/var/tmp/metal-lab-vagrant-test-');
  const bundle = path.join(dir, 'workshop.bundle');
  let made = Date.now();
  const created = await cli(['bundle', 'create', bundle, '--fluo-source', SHARED_FLUO_SOURCE.file], { reject: false });
  t.is(created.exitCode, 0, String(created.stderr).split('\n').slice(-5).join('\n'));
  t.log(`bundle: ${((await fs.stat(bundle)).size / 1e9).toFixed(2)} GB in ${Math.round((Date.now() - made) / 1000)}s`);

  // Vagrant's own state (its box store, .vagrant) in the test's directory, not in the repository or ~.
  const vagrantEnv = { VAGRANT_HOME: path.join(dir, 'vagrant.d'), VAGRANT_DOTFILE_PATH: path.join(dir, 'dot-vagrant'), VAGRANT_DEFAULT_PROVIDER: 'libvirt', METAL_LAB_BOX: boxFile, METAL_LAB_BUNDLE: bundle };
  const vagrant = (args: string[], opts: Options = {}) => execa('vagrant', args, { cwd: repo, env: vagrantEnv, reject: false, all: true, ...opts });
  const timed = async (what: string, args: string[]) => {
    made = Date.now();
    const r = await vagrant(args);
    t.log(`${what}: exit ${r.exitCode} in ${Math.round((Date.now() - made) / 1000)}s`);
    return { ...r, all: String(r.all) };
  };
  // vagrant-libvirt names the box's image in the pool after the box, its version and a stamp.
  const boxVolume = new RegExp(`^volume default/metal-lab-VAGRANTSLASH-${path.basename(boxFile, '.box')}_vagrant_box_image_.*\\.img$`);
  t.teardown(async () => {
    await vagrant(['destroy', '-f']);
    await vagrant(['box', 'remove', '-f', `metal-lab/${path.basename(boxFile, '.box')}`]);
    for (const volume of (await libvirtObjects()).filter((o) => boxVolume.test(o))) {
      await execa('virsh', ['-c', 'qemu:///system', 'vol-delete', '--pool', 'default', volume.slice('volume default/'.length)], { reject: false });
    }
    if (!before.includes('pool default')) {
      await execa('virsh', ['-c', 'qemu:///system', 'pool-destroy', 'default'], { reject: false });
      await execa('virsh', ['-c', 'qemu:///system', 'pool-undefine', 'default'], { reject: false });
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  const up = await timed('vagrant up', ['up', '--provider=libvirt']);
  t.log(up.all.split('\n').filter((l) => /sized for|loaded in|accelerator|metal-lab is ready|Error|error/.test(l)).join('\n'));
  t.is(up.exitCode, 0, up.all.split('\n').slice(-25).join('\n'));
  const net = (await execa('virsh', ['-c', 'qemu:///system', 'net-dumpxml', 'metal-lab-vagrant'])).stdout;
  t.notRegex(net, /<forward/, "a bundle's VM gets an isolated network");

  const doctor = await timed('doctor', ['ssh', '-c', 'cd metal-lab && sudo ./metal-lab doctor']);
  t.log(doctor.all.split('\n').filter((l) => /accelerator|FAIL/.test(l)).join('\n'));
  t.is(doctor.exitCode, 0, doctor.all);
  t.regex(doctor.all, /accelerator\s+TCG: .*using TCG/, 'no nested KVM here: the lab inside falls back to TCG, and doctor says so');

  const run = await timed('metal-lab run (pxe-boot)', ['ssh', '-c', 'cd metal-lab && sudo ./metal-lab run']);
  t.log(run.all.split('\n').filter((l) => /✔ \w+\s+reached|passed|failed|✘/.test(l)).join('\n'));
  t.is(run.exitCode, 0, run.all.split('\n').slice(-30).join('\n'));
  t.regex(run.all, /pxe-boot on mini passed/);

  const destroyed = await timed('vagrant destroy', ['destroy', '-f']);
  t.is(destroyed.exitCode, 0, destroyed.all);
  // What remains is Vagrant's box cache: the box's image in the pool, which reuses it for the next up.
  const left = (await libvirtObjects()).filter((o) => !before.includes(o));
  t.deepEqual(left.filter((o) => !boxVolume.test(o) && o !== 'pool default'), [], 'no domain, network or disk of the VM is left');
});
