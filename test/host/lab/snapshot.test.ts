import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { LAB_XMLNS, labObjectNames, type LabSpec } from '../../../src/ground/lab-spec.js';
import { down } from '../../../src/lab/down.js';
import { labInputs } from '../../../src/lab/lab-inputs.js';
import { checkSave, saveSnapshot } from '../../../src/lab/snapshot-save.js';
import { listSnapshots, removeSnapshot } from '../../../src/lab/snapshot-list.js';
import { readSnapshot, snapshotDir, snapshotFiles, verifySnapshotDigests } from '../../../src/lab/snapshot-manifest.js';
import { writeLabState } from '../../../src/lab/state.js';
import type { StepRunner } from '../../../src/lab/steps.js';
import { virsh as runVirsh } from '../../../src/libvirt/virsh.js';
import { restoreDomain } from '../../../src/libvirt/save-restore.js';
import { copyQcow2 } from '../../../src/qemu/disk-copy.js';
import { runCommand } from '../../../src/toolkit/command-error.js';
import { libvirtd, needs, qemu, root, virsh } from '../../support/needs.js';
import { miniLab } from '../../support/mini-lab.js';

const ID = 'snaptest';

/** One lab node with nothing to boot: SeaBIOS finds no bootable disk and waits, which is state enough to save. */
function domainXml(name: string, disk: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <metadata><ml:lab xmlns:ml='${LAB_XMLNS}' id='${ID}'/></metadata>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <serial type='pty'/>
  </devices>
</domain>`;
}

/** A state root libvirt's qemu user can read, with lab `snaptest` (one node) up in it; all removed at the end. */
async function tinyLab(t: ExecutionContext) {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-snapshot-'));
  await fs.chmod(home, 0o755);
  const host = hostLayout({ METAL_LAB_HOME: home, METAL_LAB_CACHE: path.join(home, 'cache') });
  const mini = miniLab();
  const lab: LabSpec = { ...mini, id: ID, nodes: [mini.nodes[0]!] };
  const paths = host.lab(ID);
  const domain = labObjectNames(lab).domain('node1');
  const disk = path.join(paths.disks, 'node1.qcow2');
  t.teardown(async () => {
    await runVirsh(['destroy', domain], { check: false });
    await runVirsh(['undefine', domain], { check: false });
    await fs.rm(home, { recursive: true, force: true });
  });
  await fs.mkdir(paths.disks, { recursive: true });
  await runCommand(['qemu-img', 'create', '-q', '-f', 'qcow2', disk, '16M']);
  await fs.writeFile(path.join(paths.root, 'domain.xml'), domainXml(domain, disk));
  await runVirsh(['define', path.join(paths.root, 'domain.xml')]);
  await runVirsh(['start', domain]);
  await writeLabState(paths, { id: ID, lab, accel: 'tcg', timeoutScale: 6, createdAt: new Date().toISOString(), inputs: labInputs({ boot: 'live', lab, live: { key: 'live-test' }, images: [] }) });
  return { home, host, lab, paths, domain, disk };
}

const domState = async (name: string) => (await runVirsh(['domstate', name], { check: false })).stdout.trim();

/** Progress as the CLI shows it: every step named, so a test failure says where it stopped. */
function recordingSteps(): StepRunner & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: async (name, node, fn) => {
      lines.push(`${node ? `${node} ` : ''}${name}`);
      return fn();
    },
    info: (m) => lines.push(m),
    activity: () => {},
  };
}

needs(root, virsh, libvirtd, qemu)('snapshot save, list, restore and rm on one tiny domain; down keeps snapshots, --purge removes them', async (t) => {
  const lab = await tinyLab(t);
  t.is(await domState(lab.domain), 'running');

  const steps = recordingSteps();
  const manifest = await saveSnapshot(await checkSave(lab.host, ID, 'ch3'), 'ch3', { host: lab.host, steps });
  t.deepEqual(steps.lines.slice(0, 5), ['pause nodes', 'node1 save memory', 'node1 copy disk', 'copy lab state', 'resume nodes']);
  t.true(steps.lines.some((l) => /live nodes run no SSH server/.test(l)), 'says why no clock was stepped');
  t.is(await domState(lab.domain), 'running', 'the lab runs on after a save');
  t.deepEqual(manifest.nodes.map((n) => n.name), ['node1']);
  const dir = snapshotDir(lab.host, ID, 'ch3');
  t.truthy(manifest.files[snapshotFiles.memory('node1')], 'memory saved');
  t.truthy(manifest.files[snapshotFiles.disk('node1')], 'disk copied');
  t.truthy(manifest.files['state/state.json'], 'lab state kept');
  await verifySnapshotDigests(dir, await readSnapshot(lab.host, ID, 'ch3'));
  t.deepEqual((await listSnapshots(lab.host, ID)).map((s) => [s.name, s.nodes, s.problem]), [['ch3', 1, undefined]]);

  // The restore half of `up --from`, node by node: the lab's VM and disk gone, then put back from the snapshot.
  await runVirsh(['destroy', lab.domain]);
  await runVirsh(['undefine', lab.domain]);
  await fs.rm(lab.disk);
  await copyQcow2(path.join(dir, snapshotFiles.disk('node1')), lab.disk);
  await restoreDomain(path.join(dir, snapshotFiles.memory('node1')));
  t.is(await domState(lab.domain), 'running', 'restored from its saved memory');
  t.regex((await runVirsh(['dominfo', lab.domain])).stdout, /Persistent:\s+yes/, 'defined, so down can remove it');

  const gone = await down(ID, lab.host);
  t.deepEqual(gone.domains, [lab.domain]);
  t.deepEqual(gone.snapshots, ['ch3']);
  t.deepEqual((await listSnapshots(lab.host, ID)).map((s) => s.name), ['ch3'], 'down keeps snapshots');

  await refusedWhenDown(t, lab.host);
  await removeSnapshot(lab.host, ID, 'ch3');
  t.deepEqual(await listSnapshots(lab.host, ID), []);
  await fs.mkdir(path.join(lab.host.snapshots(ID), 'left'), { recursive: true });
  await down(ID, lab.host, { purge: true });
  await t.throwsAsync(fs.stat(lab.host.snapshots(ID)), undefined, 'down --purge removes them');
});

/** A lab that is down cannot be saved: one line, before anything is paused. */
async function refusedWhenDown(t: ExecutionContext, host: ReturnType<typeof hostLayout>): Promise<void> {
  const err = await t.throwsAsync(checkSave(host, ID, 'ch4'));
  t.is(err?.message, `lab ${ID} is not up, so there is nothing to snapshot`);
}
