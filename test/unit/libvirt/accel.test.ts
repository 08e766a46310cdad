import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import { kvmUsable, probeAccel } from '../../../src/libvirt/accel.js';

const CPU = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse ${flags} sse sse2\n\n`;

async function hostFiles(t: import('ava').ExecutionContext, flags: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-accel-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cpuinfo = path.join(dir, 'cpuinfo');
  // A regular file stands in for a /dev/kvm that opens read-write.
  const devKvm = path.join(dir, 'kvm');
  await Promise.all([writeFile(cpuinfo, CPU(flags)), writeFile(devKvm, '')]);
  return { cpuinfo, devKvm, missing: path.join(dir, 'no-kvm') };
}

test('auto picks KVM when the device opens read-write and the CPU has vmx', async (t) => {
  const host = await hostFiles(t, 'vmx pni');
  const probe = await probeAccel('auto', host);
  t.deepEqual(probe, { accel: 'kvm', reason: `${host.devKvm} opens read-write and the CPU has the vmx flag`, timeoutScale: 1 });
  t.is((await probeAccel('kvm', { ...host })).accel, 'kvm');
});

test('svm counts as well as vmx', async (t) => {
  const host = await hostFiles(t, 'svm');
  t.true((await kvmUsable(host)).usable);
});

test('auto falls back to TCG without a vmx/svm flag (nested KVM hangs)', async (t) => {
  const host = await hostFiles(t, 'hypervisor pni');
  t.deepEqual(await probeAccel('auto', host), {
    accel: 'tcg',
    reason: 'no vmx/svm CPU flag: nested KVM unavailable, using TCG',
    timeoutScale: 6,
  });
});

test('auto falls back to TCG without the device, and says so', async (t) => {
  const host = await hostFiles(t, 'vmx');
  const probe = await probeAccel('auto', { ...host, devKvm: host.missing });
  t.is(probe.accel, 'tcg');
  t.is(probe.reason, `${host.missing} does not exist (no KVM module loaded), using TCG`);
});

test('kvm requested but unusable is a HostError with a fix', async (t) => {
  const host = await hostFiles(t, 'pni');
  const err = await t.throwsAsync(probeAccel('kvm', host), { instanceOf: HostError });
  t.is(err.message, 'the lab asks for accelerator: kvm, but KVM is unusable here: no vmx/svm CPU flag: nested KVM unavailable');
  t.regex(err.fix, /accelerator: auto/);
});

test('tcg is always TCG, even where KVM would work', async (t) => {
  const host = await hostFiles(t, 'vmx');
  t.deepEqual(await probeAccel('tcg', host), { accel: 'tcg', reason: 'the lab asks for accelerator: tcg', timeoutScale: 6 });
});
