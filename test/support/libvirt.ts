import test from 'ava';
import { virsh } from '../../src/libvirt/virsh.js';

/** Why libvirtd cannot be used here, or undefined when it can. `uri` is cheap: no QEMU probe. */
export async function libvirtUnavailable(): Promise<string | undefined> {
  const r = await virsh(['uri'], { check: false, timeoutMs: 30_000 }).catch((e: Error) => ({ exitCode: 1, stderr: e.message }));
  return r.exitCode === 0 ? undefined : `libvirtd is not reachable (${r.stderr.trim() || `exit ${r.exitCode}`}): run ./metal-lab setup`;
}

/**
 * ava's `test` for tests that need a reachable libvirtd, or `test.skip` with the reason printed
 * once per file. .ci/run starts libvirtd, so in CI these always run.
 */
export async function libvirtTest(file: string, opts: { serial?: boolean } = {}): Promise<typeof test.serial> {
  const reason = await libvirtUnavailable();
  const run = opts.serial ? test.serial : test;
  if (!reason) return run;
  console.log(`${file}: libvirt tests skipped: ${reason}`);
  return run.skip as unknown as typeof test.serial;
}
