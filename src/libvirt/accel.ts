import { open, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { HostError } from '../errors.js';
import type { Accel, AccelChoice } from '../ground/lab-spec.js';

export interface AccelProbe {
  accel: Accel;
  /** One line for the user: why this accelerator. */
  reason: string;
  /** Every lab timeout is multiplied by this: guests under TCG run several times slower. */
  timeoutScale: number;
}

/** Where the probe looks; tests point these at files they wrote. */
export interface AccelHost {
  devKvm?: string;
  cpuinfo?: string;
}

const TIMEOUT_SCALE: Record<Accel, number> = { kvm: 1, tcg: 6 };

/**
 * Whether KVM can run guests here. /dev/kvm alone is not enough: inside a VM without nested
 * virtualisation the device exists but guests hang, and the missing vmx/svm flag is the tell.
 */
export async function kvmUsable(host: AccelHost = {}): Promise<{ usable: boolean; why: string }> {
  const dev = host.devKvm ?? '/dev/kvm';
  try {
    await (await open(dev, constants.O_RDWR)).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { usable: false, why: `${dev} does not exist (no KVM module loaded)` };
    if (code === 'EACCES' || code === 'EPERM') {
      return { usable: false, why: `${dev} is not read-writable by this user (join the kvm group)` };
    }
    return { usable: false, why: `${dev} does not open read-write (${code ?? String(err)})` };
  }
  const cpuinfo = await readFile(host.cpuinfo ?? '/proc/cpuinfo', 'utf8');
  const flags = new Set(
    cpuinfo
      .split('\n')
      .filter((line) => /^flags\s*:/.test(line))
      .flatMap((line) => line.slice(line.indexOf(':') + 1).trim().split(/\s+/)),
  );
  const flag = ['vmx', 'svm'].find((f) => flags.has(f));
  if (!flag) return { usable: false, why: 'no vmx/svm CPU flag: nested KVM unavailable' };
  return { usable: true, why: `${dev} opens read-write and the CPU has the ${flag} flag` };
}

/** Picks the accelerator for a lab's `accelerator:` choice; `kvm` on a host without it throws. */
export async function probeAccel(choice: AccelChoice, host: AccelHost = {}): Promise<AccelProbe> {
  const pick = (accel: Accel, reason: string): AccelProbe => ({ accel, reason, timeoutScale: TIMEOUT_SCALE[accel] });
  if (choice === 'tcg') return pick('tcg', 'the lab asks for accelerator: tcg');
  const kvm = await kvmUsable(host);
  if (kvm.usable) return pick('kvm', kvm.why);
  if (choice === 'kvm') {
    throw new HostError(
      `the lab asks for accelerator: kvm, but KVM is unusable here: ${kvm.why}`,
      'set accelerator: auto (or tcg) in the lab file, or enable (nested) virtualisation for this host',
    );
  }
  return pick('tcg', `${kvm.why}, using TCG`);
}
