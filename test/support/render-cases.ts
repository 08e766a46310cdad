import { renderDomainXml } from '../../src/render/libvirt-domain.js';
import { renderNetworkXml } from '../../src/render/libvirt-network.js';
import { renderPoolXml, renderVolumeXml } from '../../src/render/libvirt-pool.js';
import { miniLab, miniPaths } from './mini-lab.js';

/** virt-xml-validate's schema names. */
export type SchemaKind = 'network' | 'domain' | 'pool' | 'storagevol';

export interface RenderCase {
  /** File name under test/golden/libvirt/. */
  golden: string;
  schema: SchemaKind;
  xml: string;
}

/** Every rendered artefact the golden and schema tests cover. */
export function renderCases(): RenderCase[] {
  const lab = miniLab();
  const [node1, node2] = lab.nodes;
  if (!node1 || !node2) throw new Error('fixture lab needs two nodes');
  const domain = (node: typeof node1, accel: 'kvm' | 'tcg') =>
    renderDomainXml(lab, node, { accel, consoleLog: miniPaths.console(node.name) });
  return [
    { golden: 'network.xml', schema: 'network', xml: renderNetworkXml(lab, { tftpRoot: miniPaths.tftpRoot }) },
    {
      golden: 'network-nat.xml',
      schema: 'network',
      xml: renderNetworkXml(miniLab({ nat: true }), { tftpRoot: miniPaths.tftpRoot }),
    },
    { golden: 'domain-node1-bios-tcg.xml', schema: 'domain', xml: domain(node1, 'tcg') },
    { golden: 'domain-node2-uefi-tcg.xml', schema: 'domain', xml: domain(node2, 'tcg') },
    { golden: 'domain-node1-bios-kvm.xml', schema: 'domain', xml: domain(node1, 'kvm') },
    { golden: 'pool.xml', schema: 'pool', xml: renderPoolXml(lab, miniPaths.disks) },
    { golden: 'volume-node1.xml', schema: 'storagevol', xml: renderVolumeXml(lab, node1) },
  ];
}
