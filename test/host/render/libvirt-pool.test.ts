import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureVolume } from '../../../src/libvirt/pool.js';
import { virsh } from '../../../src/libvirt/virsh.js';
import { renderPoolXml, renderVolumeXml } from '../../../src/render/libvirt-pool.js';
import { labObjectNames } from '../../../src/ground/lab-spec.js';
import { miniLab } from '../../support/mini-lab.js';
import { libvirtd, needs, program, virsh as virshTool } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';
import { one, parseXml } from '../../support/xml-query.js';

const GiB = 1024 ** 3;

// qemu-img (qemu-utils) is what libvirt creates qcow2 volumes with.
needs(virshTool, libvirtd, program('qemu-img', 'qemu-utils'))('libvirt creates the pool and a volume of the right size and format from them, once', async (t) => {
  const lab = { ...miniLab(), id: `rendertest-${randomBytes(3).toString('hex').slice(0, 5)}` };
  const node = lab.nodes[1]!;
  const names = labObjectNames(lab);
  const dir = await tempDir(t, 'ml-render-');
  const disks = path.join(dir, 'disks');
  await fs.mkdir(disks);
  t.teardown(async () => {
    await virsh(['vol-delete', '--pool', names.pool, names.volume(node.name)], { check: false });
    // A transient pool (pool-create) disappears when destroyed: nothing stays defined.
    await virsh(['pool-destroy', names.pool], { check: false });
  });
  await fs.writeFile(path.join(dir, 'pool.xml'), renderPoolXml(lab, disks));
  await fs.writeFile(path.join(dir, 'volume.xml'), renderVolumeXml(lab, node));
  await virsh(['pool-create', path.join(dir, 'pool.xml')]);
  t.is(await ensureVolume(names.pool, names.volume(node.name), path.join(dir, 'volume.xml')), 'created');
  t.is(await ensureVolume(names.pool, names.volume(node.name), path.join(dir, 'volume.xml')), 'unchanged');

  const vol = parseXml((await virsh(['vol-dumpxml', '--pool', names.pool, names.volume(node.name)])).stdout);
  t.is(one(vol, 'capacity').textContent, String(node.diskGiB * GiB));
  t.is(one(vol, 'format').getAttribute('type'), 'qcow2');
  t.is(one(vol, 'path').textContent, path.join(disks, names.volume(node.name)));
  // qcow2 allocates on write: the blank disk takes almost no space.
  t.true(Number(one(vol, 'allocation').textContent) < 16 * 1024 ** 2);
});
