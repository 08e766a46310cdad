import { HostError } from '../../../src/errors.js';
import { checkSubnetFree, hostPrefixes } from '../../../src/preflight/network.js';
import { ip, needs } from '../../support/needs.js';

needs(ip)('the real host: 127.0.0.0/8 is routed and owned by lo, and a lab subnet there is refused', async (t) => {
  const prefixes = await hostPrefixes();
  t.truthy(prefixes.find((p) => p.dev === 'lo' && p.cidr === '127.0.0.0/8' && p.kind === 'route'));
  t.truthy(prefixes.find((p) => p.dev === 'lo' && p.cidr === '127.0.0.1/8' && p.kind === 'address'));
  const err = await t.throwsAsync(checkSubnetFree('127.0.0.0/24'), { instanceOf: HostError });
  t.regex(err.message, /^the lab subnet 127\.0\.0\.0\/24 overlaps (route|address) 127\.0\.0\.\d+\/\d+ on lo, already on this host$/);
  t.regex(err.fix, /network\.subnet/);
});
