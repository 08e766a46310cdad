import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { labIdFromXml } from '../../../src/libvirt/metadata.js';
import { virsh } from '../../../src/libvirt/virsh.js';
import { ipxeChainOptions, renderNetworkXml, tftpFiles } from '../../../src/render/libvirt-network.js';
import { labObjectNames } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from '../../support/mini-lab.js';
import { ipxeRoms, libvirtd, needs, virsh as virshTool } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';
import { all, one, parseXml } from '../../support/xml-query.js';

const optionValues = (xml: string) => all(parseXml(xml), 'dnsmasq:option').map((o) => o.getAttribute('value'));

needs(...ipxeRoms)('tftpFiles lists Debian ipxe binaries that exist on this host', (t) => {
  const files = tftpFiles();
  t.deepEqual(files.map((f) => f.name), ['undionly.kpxe', 'ipxe.efi']);
  for (const f of files) {
    t.true(fs.statSync(f.src).size > 0, `${f.src} is missing: apt-get install ipxe`);
  }
});

needs(virshTool, libvirtd)('libvirt accepts the rendered network (net-define, then undefine)', async (t) => {
  const suffix = randomBytes(3).toString('hex').slice(0, 5);
  const base = miniLab();
  // A throwaway name and bridge, so a real lab's network on this host is never touched.
  const lab = { ...base, id: `rendertest-${suffix}`, network: { ...base.network, bridge: `mlrt${suffix}` } };
  const name = labObjectNames(lab).network;
  t.is(name, `ml-rendertest-${suffix}`);
  const dir = await tempDir(t, 'ml-render-');
  t.teardown(async () => {
    await virsh(['net-undefine', name], { check: false });
  });
  const file = path.join(dir, 'network.xml');
  await fsp.writeFile(file, renderNetworkXml(lab, { tftpRoot: miniPaths.tftpRoot }));
  await virsh(['net-define', file]);
  const state = await virsh(['net-info', name]);
  t.regex(state.stdout, /Active:\s+no/, 'net-define must not start the network');
  // libvirt parsed, kept and will hand our options to dnsmasq.
  const dumped = (await virsh(['net-dumpxml', name])).stdout;
  t.deepEqual(optionValues(dumped), ipxeChainOptions(lab));
  t.is(labIdFromXml(dumped), lab.id, 'the lab tag must survive libvirt');
  t.is(all(parseXml(dumped), 'forward').length, 0);
  t.is(all(one(parseXml(dumped), 'dhcp'), 'lease').length, lab.nodes.length);
});
