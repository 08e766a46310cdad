import { runCommand } from '../toolkit/command-error.js';

/**
 * A qcow2 disk copied into a standalone qcow2 (its backing chain, if any, merged in), so a
 * snapshot holds the disk as it was, whatever later happens to the image it was made from.
 * Only allocated clusters are written: a 4 GiB disk with 600 MiB in use takes 600 MiB.
 */
export async function copyQcow2(from: string, to: string): Promise<void> {
  await runCommand(['qemu-img', 'convert', '-O', 'qcow2', from, to], {
    timeoutMs: 30 * 60_000,
    install: 'run ./metal-lab setup (or apt-get install qemu-utils)',
  });
}
