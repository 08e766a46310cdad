import path from 'node:path';
import { execa } from 'execa';
import { needs, program } from '../../support/needs.js';

// The Vagrantfile as Vagrant itself reads it (`vagrant validate`, the libvirt provider's checks
// included): sized from the lab it names, and one line for a variable out of range.

const repo = path.resolve(import.meta.dirname, '../../..');
const test = needs(program('vagrant', 'vagrant'));
const validate = (env: Record<string, string>) => execa('vagrant', ['validate'], { cwd: repo, env: { VAGRANT_DEFAULT_PROVIDER: 'libvirt', ...env }, reject: false });

test('vagrant validate: the VM sized from the lab (its nodes plus 2048 MiB, its vCPUs), or as the variables say', async (t) => {
  const mini = await validate({});
  t.is(mini.exitCode, 0, mini.stderr);
  t.regex(mini.stdout, /Vagrantfile validated successfully/);
  // lab/mini.yaml: two nodes of 512 MiB and 1 vCPU.
  t.regex(mini.stderr, /^metal-lab: the VM is sized for mini\.yaml: 3072 MiB, 2 CPUs; with libvirt (KVM, nested|QEMU's TCG \(no usable KVM here\))$/m);
  // lab/update.yaml: a 3072 MiB controller with 2 vCPUs, two 1536 MiB workers.
  const update = await validate({ METAL_LAB_LAB: 'lab/update.yaml' });
  t.regex(update.stderr, /sized for update\.yaml: 8192 MiB, 4 CPUs/);
  const set = await validate({ METAL_LAB_VM_MEMORY: '6000', METAL_LAB_VM_CPUS: '3' });
  t.regex(set.stderr, /6000 MiB, 3 CPUs/);
});

test('a variable out of range, or a lab that is not there, is one line with its fix and a non-zero exit', async (t) => {
  for (const [env, line] of [
    [{ METAL_LAB_VM_MEMORY: '12' }, /^metal-lab: METAL_LAB_VM_MEMORY=12 is out of range\. Fix: give a whole number from 1024 to 262144, or unset it for 3072$/],
    [{ METAL_LAB_VM_CPUS: 'two' }, /^metal-lab: METAL_LAB_VM_CPUS=two is out of range\. Fix: give a whole number from 1 to 64, or unset it for 2$/],
    [{ METAL_LAB_LAB: 'lab/nope.yaml' }, /^metal-lab: no lab file at .*lab\/nope\.yaml\. Fix: set METAL_LAB_LAB/],
    [{ METAL_LAB_BOX: '/nonexistent/debian12.box' }, /^metal-lab: METAL_LAB_BOX=\/nonexistent\/debian12\.box is not a file\. Fix: build one with vagrant\/build-box\.sh/],
    [{ METAL_LAB_BUNDLE: '/nonexistent/workshop.bundle' }, /^metal-lab: METAL_LAB_BUNDLE=\/nonexistent\/workshop\.bundle is not a file\. Fix: /],
  ] as const) {
    const r = await validate(env);
    t.is(r.exitCode, 1, JSON.stringify(env));
    t.regex(r.stderr.trim(), line);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
