import test from 'ava';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { guestVcpus } from '../../../src/render/guest-cpus.js';
import { renderLabPlan } from '../../../src/render/plan.js';
import { miniLab } from '../../support/mini-lab.js';

// mini asks 2 + 1 vCPUs.
const lab = miniLab();
const asked = new Map(lab.nodes.map((n) => [n.name, n.vcpus]));
const one = new Map(lab.nodes.map((n) => [n.name, 1]));

test('under KVM every node gets the vCPUs it asks, however many cores the host has', (t) => {
  t.deepEqual(guestVcpus(lab, 'kvm', 2), asked);
});

test('under TCG a lab that fits the host cores gets what it asks', (t) => {
  t.deepEqual(guestVcpus(lab, 'tcg', 3), asked);
  t.deepEqual(guestVcpus(lab, 'tcg', 8), asked);
});

test('under TCG a lab asking more vCPUs than the host has cores gets one per guest', (t) => {
  t.deepEqual(guestVcpus(lab, 'tcg', 2), one);
});

test("the plan's domain XML carries the capped count", (t) => {
  const plan = renderLabPlan(lab, {
    accel: 'tcg',
    timeoutScale: 6,
    hostCpus: 2,
    paths: hostLayout({ METAL_LAB_HOME: '/var/lib/metal-lab' }).lab(lab.id),
    live: { kernel: '/k/vmlinuz', initrd: '/k/initrd.img' },
  });
  for (const node of lab.nodes) {
    const entry = plan.get(`render/domain-${node.name}.xml`);
    t.true(entry?.kind === 'text' && entry.text.includes('<vcpu>1</vcpu>'), node.name);
  }
});
