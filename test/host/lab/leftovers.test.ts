import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { LAB_XMLNS } from '../../../src/ground/lab-spec.js';
import { findLeftovers } from '../../../src/lab/leftovers.js';
import { NFT } from '../../../src/lab/nft-table.js';
import { virsh as runVirsh } from '../../../src/libvirt/virsh.js';
import { runCommand } from '../../../src/toolkit/command-error.js';
import { guard } from '../../support/child-processes.js';
import { ip, libvirtd, needs, packageFile, root, virsh } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

const ID = 'soaktest';
/** The lab's bridge, a tap on it, a tap named after the lab, and one named after lab soaktestx (not this one). */
const [BRIDGE, TAP_ON_BRIDGE, NAMED_TAP, FOREIGN_TAP] = ['mlsoak0', 'mlsoak-t1', `ml-${ID}-t0`, `ml-${ID}x0`];
/** A table of its own holding a rule that names the bridge, as libvirt's firewall rules do. */
const RULE_TABLE = 'mlsoakfw';
const DOMAIN = `ml-${ID}-node1`;
/** Lab soaktest-x's VM: its name starts like this lab's, its metadata says whose it is. */
const FOREIGN_DOMAIN = `ml-${ID}-x-node1`;

const domainXml = (name: string, lab: string) => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <metadata><ml:lab xmlns:ml='${LAB_XMLNS}' id='${lab}'/></metadata>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;

const run = (...argv: string[]) => runCommand(argv, { timeoutMs: 30_000 });
/** Removal that may find nothing to remove: its exit code is no verdict. */
const quietly = (...argv: string[]) => runCommand(argv, { timeoutMs: 30_000, allowExit: 'any' });

/** Defines (never starts) the libvirt objects from XML files written into `dir`. */
async function defineLibvirt(dir: string, disks: string): Promise<void> {
  const files = {
    domain: domainXml(DOMAIN, ID),
    foreign: domainXml(FOREIGN_DOMAIN, `${ID}-x`),
    // Isolated, no address: it claims no subnet a real lab's preflight could trip on.
    network: `<network><name>ml-${ID}</name><bridge name='mlsoak1'/></network>`,
    pool: `<pool type='dir'><name>ml-${ID}</name><target><path>${disks}</path></target></pool>`,
  };
  for (const [name, xml] of Object.entries(files)) await fs.writeFile(path.join(dir, `${name}.xml`), xml);
  for (const what of ['domain', 'foreign']) await runVirsh(['define', path.join(dir, `${what}.xml`)]);
  await runVirsh(['net-define', path.join(dir, 'network.xml')]);
  await runVirsh(['pool-define', path.join(dir, 'pool.xml')]);
}

async function plantLinks(): Promise<void> {
  await run('ip', 'link', 'add', BRIDGE, 'type', 'bridge');
  for (const tap of [TAP_ON_BRIDGE, NAMED_TAP, FOREIGN_TAP]) await run('ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap');
  await run('ip', 'link', 'set', TAP_ON_BRIDGE, 'master', BRIDGE);
}

async function plantNft(): Promise<void> {
  await run(NFT, 'add', 'table', 'bridge', `ml-${ID}`);
  // A regular chain (no hook): the rule sees no traffic.
  await run(NFT, 'add', 'table', 'inet', RULE_TABLE);
  await run(NFT, 'add', 'chain', 'inet', RULE_TABLE, 'c');
  await run(NFT, 'add', 'rule', 'inet', RULE_TABLE, 'c', 'iifname', BRIDGE, 'accept');
}

interface Planted {
  procs: ChildProcess[];
  /** Kills the procs if this test process dies first. */
  watchdog?: ChildProcess;
}

/** A process naming the state dir (as the boot server does), and one that looks like libvirt's qemu for the lab's VM. */
function plantProcesses(stateDir: string): Planted {
  const idle = ['-e', 'setTimeout(() => {}, 600_000)', '--'];
  const procs = [
    spawn('sleep', ['600'], { argv0: path.join(stateDir, 'matchbox', 'server'), stdio: 'ignore' }),
    spawn(process.execPath, [...idle, '-name', `guest=${DOMAIN},debug-threads=on`], { argv0: 'qemu-system-x86_64', stdio: 'ignore' }),
  ];
  return { procs, watchdog: guard(procs.map((p) => p.pid!)) };
}

/** Removes whatever is planted, present or not: before the test (a previous run's), after it, and in teardown. */
async function removeAll({ procs, watchdog }: Planted): Promise<void> {
  await Promise.all(procs.map((p) => p.exitCode === null && p.signalCode === null && new Promise((resolve) => p.once('exit', resolve).kill('SIGKILL'))));
  // Not awaited: the watchdog is unref'd, so a wait for its exit could be all that is left,
  // and the worker would end with the test still pending.
  watchdog?.kill('SIGKILL');
  for (const d of [DOMAIN, FOREIGN_DOMAIN]) await runVirsh(['undefine', d], { check: false });
  await runVirsh(['net-undefine', `ml-${ID}`], { check: false });
  await runVirsh(['pool-undefine', `ml-${ID}`], { check: false });
  await quietly(NFT, 'delete', 'table', 'bridge', `ml-${ID}`);
  await quietly(NFT, 'delete', 'table', 'inet', RULE_TABLE);
  for (const link of [TAP_ON_BRIDGE, NAMED_TAP, FOREIGN_TAP, BRIDGE]) await quietly('ip', 'link', 'del', link);
}

async function plant(t: ExecutionContext) {
  const home = await tempDir(t, 'metal-lab-leftovers-');
  const host = hostLayout({ METAL_LAB_HOME: home, METAL_LAB_CACHE: path.join(home, 'cache') });
  const paths = host.lab(ID);
  await removeAll({ procs: [] });
  const planted: Planted = { procs: [] };
  t.teardown(() => removeAll(planted));
  await fs.mkdir(paths.disks, { recursive: true });
  await fs.writeFile(path.join(paths.disks, 'node1.qcow2'), '');
  await defineLibvirt(home, paths.disks);
  await plantLinks();
  await plantNft();
  Object.assign(planted, plantProcesses(paths.root));
  return { host, paths, planted };
}

needs(root, ip, virsh, libvirtd, packageFile(NFT, 'nftables')).serial('findLeftovers reports each kind of leftover of a lab, no other lab\'s, and nothing once they are gone', async (t) => {
  const { host, paths, planted } = await plant(t);
  const found = await findLeftovers(ID, host, { bridge: BRIDGE });
  t.log(found.join('\n'));
  t.deepEqual(found.filter((l) => !l.startsWith('process ')), [
    `domain ${DOMAIN}`,
    `network ml-${ID}`,
    `pool ml-${ID}`,
    `bridge ${BRIDGE}`,
    `link ${TAP_ON_BRIDGE} on ${BRIDGE}`,
    `link ${NAMED_TAP}`,
    `nft table bridge ml-${ID}`,
    `nft: 1 rule naming ${BRIDGE} in table inet ${RULE_TABLE}`,
    `state dir ${paths.root}`,
    `volume ${path.join(paths.disks, 'node1.qcow2')}`,
  ]);
  const pids = found.filter((l) => l.startsWith('process ')).map((l) => Number(/^process (\d+):/.exec(l)?.[1]));
  t.deepEqual(pids.sort((a, b) => a - b), planted.procs.map((p) => p.pid!).sort((a, b) => a - b));

  await removeAll(planted);
  await fs.rm(paths.root, { recursive: true });
  t.deepEqual(await findLeftovers(ID, host, { bridge: BRIDGE }), []);
});
