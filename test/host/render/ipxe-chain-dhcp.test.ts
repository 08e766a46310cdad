import { BIOS_IPXE, bootScriptUrl, renderNetworkXml, UEFI_IPXE } from '../../../src/render/libvirt-network.js';
import { DhcpBench, DHCP_BENCH_NEEDS } from './dhcp-bench.js';
import { miniLab, miniPaths } from '../../support/mini-lab.js';
import { needs } from '../../support/needs.js';

// What the rendered network's DHCP really answers each kind of boot client: dnsmasq runs with
// the rendered options in a private network namespace (see dhcp-bench.ts).
const lab = miniLab();
const [node1, node2] = lab.nodes as [(typeof lab.nodes)[0], (typeof lab.nodes)[0]];
const url = bootScriptUrl(lab);

const test = needs(...DHCP_BENCH_NEEDS);
let bench: DhcpBench | undefined;

test.before(async () => {
  bench = await DhcpBench.start(renderNetworkXml(lab, { tftpRoot: miniPaths.tftpRoot }));
});
test.after.always(async () => {
  await bench?.stop();
});

test.serial('a BIOS PXE ROM gets its reserved address and undionly.kpxe', async (t) => {
  const a = await bench!.ask({ mac: node1.mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' });
  t.deepEqual(a, { ip: node1.ip, bootFile: BIOS_IPXE });
});

test.serial('a UEFI PXE ROM (arch 7) gets ipxe.efi', async (t) => {
  const a = await bench!.ask({ mac: node2.mac, arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016' });
  t.deepEqual(a, { ip: node2.ip, bootFile: UEFI_IPXE });
});

test.serial('a UEFI PXE ROM (arch 9) gets ipxe.efi', async (t) => {
  const a = await bench!.ask({ mac: node2.mac, arch: 9, vendorClass: 'PXEClient:Arch:00009:UNDI:003016' });
  t.deepEqual(a, { ip: node2.ip, bootFile: UEFI_IPXE });
});

test.serial('iPXE on BIOS is sent to the boot server over HTTP, told not to wait for ProxyDHCP', async (t) => {
  const a = await bench!.ask({ mac: node1.mac, arch: 0, userClass: 'iPXE' });
  // Option 175 carrying sub-option 0xb0 (no-pxedhcp), length 1, value 1.
  t.deepEqual(a, { ip: node1.ip, bootFile: url, ipxeEncap: 'b00101' });
});

test.serial('iPXE on UEFI is sent to the boot server too, not back to ipxe.efi', async (t) => {
  const a = await bench!.ask({ mac: node2.mac, arch: 7, userClass: 'iPXE' });
  t.deepEqual(a, { ip: node2.ip, bootFile: url, ipxeEncap: 'b00101' });
});

test.serial('an unknown MAC gets an address from the dynamic range', async (t) => {
  const a = await bench!.ask({ mac: '52:54:00:0e:0e:0e', arch: 0, userClass: 'iPXE' });
  const last = Number(a.ip.split('.').at(-1));
  t.true(a.ip.startsWith('172.19.0.') && last >= 50 && last <= 99, a.ip);
});
