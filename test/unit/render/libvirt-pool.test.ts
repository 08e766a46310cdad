import test from 'ava';
import { renderPoolXml, renderVolumeXml } from '../../../src/render/libvirt-pool.js';
import { labObjectNames } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from '../../support/mini-lab.js';
import { one, parseXml } from '../../support/xml-query.js';

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
