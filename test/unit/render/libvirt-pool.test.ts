import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { virsh } from '../../../src/libvirt/virsh.js';
import { renderPoolXml, renderVolumeXml } from '../../../src/render/libvirt-pool.js';
import { labObjectNames } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from './fixtures.js';
import { libvirtTest } from '../../support/libvirt.js';
import { one, parseXml } from './xml-query.js';

const withLibvirt = await libvirtTest('libvirt-pool');

const GiB = 1024 ** 3;

test('pool: a dir pool named for the lab, targeting the disks directory', (t) => {
  const pool = parseXml(renderPoolXml(miniLab(), miniPaths.disks));
  t.is(pool.getAttribute('type'), 'dir');
  t.is(one(pool, 'name').textContent, labObjectNames(miniLab()).pool);
  t.is(one(one(pool, 'target'), 'path').textContent, miniPaths.disks);
});

test('volume: qcow2 named for the node, sized from diskGiB', (t) => {
  const lab = miniLab();
  for (const node of lab.nodes) {
    const vol = parseXml(renderVolumeXml(lab, node));
    t.is(one(vol, 'name').textContent, labObjectNames(lab).volume(node.name));
    t.deepEqual([one(vol, 'capacity').getAttribute('unit'), one(vol, 'capacity').textContent], ['GiB', String(node.diskGiB)]);
    t.is(one(vol, 'format').getAttribute('type'), 'qcow2');
  }
});

withLibvirt('libvirt creates the pool and a volume of the right size and format from them', async (t) => {
  const lab = { ...miniLab(), id: `rendertest-${randomBytes(3).toString('hex').slice(0, 5)}` };
  const node = lab.nodes[1]!;
  const names = labObjectNames(lab);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-render-'));
  const disks = path.join(dir, 'disks');
  await fs.mkdir(disks);
  t.teardown(async () => {
    await virsh(['vol-delete', '--pool', names.pool, names.volume(node.name)], { check: false });
    // A transient pool (pool-create) disappears when destroyed: nothing stays defined.
    await virsh(['pool-destroy', names.pool], { check: false });
    await fs.rm(dir, { recursive: true, force: true });
  });
  await fs.writeFile(path.join(dir, 'pool.xml'), renderPoolXml(lab, disks));
  await fs.writeFile(path.join(dir, 'volume.xml'), renderVolumeXml(lab, node));
  await virsh(['pool-create', path.join(dir, 'pool.xml')]);
  await virsh(['vol-create', names.pool, path.join(dir, 'volume.xml')]);

  const vol = parseXml((await virsh(['vol-dumpxml', '--pool', names.pool, names.volume(node.name)])).stdout);
  t.is(one(vol, 'capacity').textContent, String(node.diskGiB * GiB));
  t.is(one(vol, 'format').getAttribute('type'), 'qcow2');
  t.is(one(vol, 'path').textContent, path.join(disks, names.volume(node.name)));
  // qcow2 allocates on write: the blank disk takes almost no space.
  t.true(Number(one(vol, 'allocation').textContent) < 16 * 1024 ** 2);
});
