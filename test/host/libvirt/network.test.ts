import { definedNetworks } from '../../../src/libvirt/network-claims.js';
import { libvirtd, needs, virsh } from '../../support/needs.js';

// Read-only: net-list and net-dumpxml of what this host's libvirtd has defined.
needs(virsh, libvirtd)('definedNetworks: every network libvirt has defined, started or not, with its bridge and IPv4 subnets', async (t) => {
  const networks = await definedNetworks();
  t.log(networks.map((n) => `${n.name} ${n.active ? 'active' : 'inactive'} ${n.bridge ?? '-'} ${n.subnets.join(',')}`).join('\n'));
  for (const n of networks) {
    t.regex(n.name, /\S/);
    t.is(typeof n.active, 'boolean');
    for (const cidr of n.subnets) t.regex(cidr, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  }
  t.is(new Set(networks.map((n) => n.name)).size, networks.length);
});
