import { HostError } from '../../../src/errors.js';
import { checkDnsmasq, checkIpxe, checkQemu, IPXE_FILES } from '../../../src/preflight/tools.js';
import { dnsmasq, ipxeRoms, needs, qemu } from '../../support/needs.js';

// What each check fails with when the tool is missing: test/unit/preflight/tools.test.ts.
needs(qemu)('checkQemu finds the installed qemu', async (t) => {
  t.regex(await checkQemu(), /\/qemu-system-x86_64$/);
});

needs(...ipxeRoms)('checkIpxe passes with the installed ROMs and names the first missing file', async (t) => {
  await t.notThrowsAsync(checkIpxe());
  const err = await t.throwsAsync(checkIpxe([...IPXE_FILES, '/usr/lib/ipxe/qemu/no-such.rom']), { instanceOf: HostError });
  t.is(err.message, 'iPXE file /usr/lib/ipxe/qemu/no-such.rom is missing');
  t.regex(err.fix, /ipxe-qemu/);
});

needs(dnsmasq)('checkDnsmasq passes with the installed binary', async (t) => {
  await t.notThrowsAsync(checkDnsmasq());
});
