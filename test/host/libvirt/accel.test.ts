import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { probeAccel } from '../../../src/libvirt/accel.js';
import { needs, root } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

const kvmDevice = {
  what: '/dev/kvm',
  fix: 'a host with the KVM module loaded (modprobe kvm_intel or kvm_amd)',
  present: () => existsSync('/dev/kvm'),
};

// The real device and CPU: this machine is a VM whose /dev/kvm opens but whose CPU has no
// vmx/svm flag, the case where a naive probe would pick KVM and guests would hang.
needs(kvmDevice, root)('the real /dev/kvm opens; the real CPU flags decide', async (t) => {
  const cpuHasVirt = /^flags\s*:.*\b(vmx|svm)\b/m.test(await readFile('/proc/cpuinfo', 'utf8'));
  const probe = await probeAccel('auto');
  if (cpuHasVirt) {
    t.is(probe.accel, 'kvm');
  } else {
    t.deepEqual(probe, { accel: 'tcg', reason: 'no vmx/svm CPU flag: nested KVM unavailable, using TCG', timeoutScale: 6 });
  }
  const cpuinfo = path.join(await tempDir(t, 'ml-accel-'), 'cpuinfo');
  await writeFile(cpuinfo, 'processor\t: 0\nflags\t\t: fpu vmx sse\n\n');
  t.is((await probeAccel('auto', { cpuinfo })).reason, '/dev/kvm opens read-write and the CPU has the vmx flag');
});
