import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { labAccel } from '../../../src/preflight/preflight.js';
import { parseLab } from '../../../src/spec/lab.js';
import { tempDir } from '../../support/temp-dir.js';

// The rest of preflightLab reads libvirt: test/host/preflight/preflight.test.ts.

test('a lab asking for kvm where KVM is unusable is told as its accelerator field, naming the lab file', async (t) => {
  const dir = await tempDir(t);
  // A regular file stands in for a /dev/kvm that opens; the CPU has no vmx/svm flag.
  const host = { devKvm: path.join(dir, 'kvm'), cpuinfo: path.join(dir, 'cpuinfo') };
  await Promise.all([writeFile(host.devKvm, ''), writeFile(host.cpuinfo, 'processor\t: 0\nflags\t\t: fpu pni\n\n')]);
  const lab = parseLab('id: k\naccelerator: kvm\nnetwork: { bridge: ml-k, subnet: 10.8.0.0/24 }\nnodes:\n  - { name: a, role: worker, mac: "52:54:00:00:00:01", ip: 10.8.0.10 }\n', 'lab/k.yaml');
  const err = await t.throwsAsync(labAccel(lab, host), { instanceOf: SpecError });
  t.is(err.line(), 'lab/k.yaml: accelerator: the lab asks for accelerator: kvm, but KVM is unusable here: no vmx/svm CPU flag: nested KVM unavailable. Fix: set accelerator: auto (or tcg) in the lab file, or enable (nested) virtualisation for this host');
  t.is(err.exitCode, 2);
  t.is((await labAccel({ ...lab, accelerator: 'auto' }, host)).accel, 'tcg');
});
