import { virsh, virshUnless } from './virsh.js';

async function poolActive(name: string): Promise<boolean | undefined> {
  const r = await virsh(['pool-info', name], { check: false });
  if (r.exitCode !== 0) return undefined;
  return /^State:\s+running/m.test(r.stdout);
}

/** A directory pool for the lab's disks: defined, built (mkdir) and started once. */
export async function ensurePool(name: string, xmlFile: string): Promise<'created' | 'unchanged'> {
  const active = await poolActive(name);
  if (active === undefined) {
    await virsh(['pool-define', xmlFile]);
    await virsh(['pool-build', name]);
  }
  if (!active) await virsh(['pool-start', name]);
  return active === undefined ? 'created' : 'unchanged';
}

export async function ensureVolume(pool: string, volume: string, xmlFile: string): Promise<'created' | 'unchanged'> {
  const exists = async () => (await virsh(['vol-info', '--pool', pool, volume], { check: false })).exitCode === 0;
  return (await virshUnless(['vol-create', pool, xmlFile], exists)) ? 'created' : 'unchanged';
}

/** Deletes every volume of the pool, then the pool itself. */
export async function removePool(name: string): Promise<boolean> {
  const active = await poolActive(name);
  if (active === undefined) return false;
  if (!active) await virsh(['pool-start', name], { check: false });
  const vols = await virsh(['vol-list', name, '--name'], { check: false });
  for (const vol of vols.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    await virsh(['vol-delete', '--pool', name, vol]);
  }
  await virsh(['pool-destroy', name], { check: false });
  await virsh(['pool-undefine', name]);
  return true;
}

/** The directory a pool keeps its volumes in, or undefined if there is no such pool. */
export async function poolPath(name: string): Promise<string | undefined> {
  const r = await virsh(['pool-dumpxml', '--inactive', name], { check: false });
  return r.exitCode === 0 ? /<path>([^<]+)<\/path>/.exec(r.stdout)?.[1] : undefined;
}
