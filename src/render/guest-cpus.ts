import type { Accel, LabSpec } from '../ground/lab-spec.js';

/**
 * The vCPUs each guest gets. Under TCG every vCPU is a host thread that runs flat out, and a
 * guest's vCPUs wait on each other (IPIs, TLB shootdowns) whenever one of them is descheduled.
 * A lab asking for more vCPUs than the host has cores gets exactly that: a 2-vCPU controller
 * beside a 1-vCPU worker on 2 cores logged soft lockups of 22-175 s, long enough to leave its
 * NIC unserved and drop the lab's SSH sessions. So such a lab's guests get one vCPU each;
 * under KVM, or when the lab fits the host's cores, every node gets what it asks.
 */
export function guestVcpus(lab: LabSpec, accel: Accel, hostCpus: number): Map<string, number> {
  const asked = lab.nodes.reduce((sum, n) => sum + n.vcpus, 0);
  const capped = accel === 'tcg' && asked > hostCpus;
  return new Map(lab.nodes.map((n) => [n.name, capped ? 1 : n.vcpus]));
}
