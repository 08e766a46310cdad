import type { LabSpec } from '../../src/ground/lab-spec.js';

/** A two-node lab built directly as a LabSpec: one BIOS controller, one UEFI worker. */
export function miniLab(overrides: { nat?: boolean } = {}): LabSpec {
  return {
    id: 'mini',
    file: '/srv/metal-lab/labs/mini.yaml',
    network: {
      bridge: 'ml-mini0',
      subnet: '172.19.0.0/24',
      gateway: '172.19.0.1',
      prefix: 24,
      dhcpRange: { start: '172.19.0.50', end: '172.19.0.99' },
      nat: overrides.nat ?? false,
      domain: 'example.com',
    },
    dns: [
      { name: 'matchbox.example.com', ip: '172.19.0.1' },
      { name: 'node1.example.com', ip: '172.19.0.21' },
      { name: 'node2.example.com', ip: '172.19.0.22' },
      // A second name on node1's address: must join node1's <host>, not make another.
      { name: 'cluster.example.com', ip: '172.19.0.21' },
    ],
    bootServer: { address: '172.19.0.1', port: 8080 },
    accelerator: 'auto',
    nodes: [
      {
        name: 'node1',
        role: 'controller',
        mac: '52:54:00:a1:9c:ae',
        ip: '172.19.0.21',
        memoryMiB: 2048,
        vcpus: 2,
        diskGiB: 10,
        firmware: 'bios',
      },
      {
        name: 'node2',
        role: 'worker',
        mac: '52:54:00:b2:2f:86',
        ip: '172.19.0.22',
        memoryMiB: 1536,
        vcpus: 1,
        diskGiB: 8,
        firmware: 'uefi',
      },
    ],
  };
}

/** Fixed host paths, so golden files do not depend on who runs the tests. */
export const miniPaths = {
  tftpRoot: '/var/lib/metal-lab/labs/mini/tftp',
  disks: '/var/lib/metal-lab/labs/mini/disks',
  console: (node: string) => `/var/lib/metal-lab/labs/mini/console/${node}.log`,
};
