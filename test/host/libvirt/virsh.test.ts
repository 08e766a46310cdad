import { LIST_DOMAINS, listDomains, parseDomainList } from '../../../src/libvirt/domain.js';
import { networkInfo, parseNetworkInfo } from '../../../src/libvirt/network.js';
import { definedNetworks } from '../../../src/libvirt/network-claims.js';
import { virshQueries } from '../../../src/libvirt/virsh.js';
import { libvirtd, needs, virsh } from '../../support/needs.js';

// Read-only: one virsh process answers as the separate commands do, a failing query in the middle included.
needs(virsh, libvirtd)('virshQueries: each query\'s output apart, in one virsh process, past a query that fails', async (t) => {
  const absent = 'metal-lab-no-such-network';
  const [known] = await definedNetworks();
  const queries = [LIST_DOMAINS, ['net-info', absent], ...(known ? [['net-info', known.name]] : [])];
  const [list = '', missing = '', info = ''] = await virshQueries(queries);
  t.deepEqual(parseDomainList(list), await listDomains());
  t.is(parseNetworkInfo(absent, missing), undefined);
  t.is(await networkInfo(absent), undefined);
  if (known) t.deepEqual(parseNetworkInfo(known.name, info), await networkInfo(known.name));
  else t.log('no network defined on this host: the known-network half did not run');
});
