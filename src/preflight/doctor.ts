import { access, statfs } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { liveImageCached } from '../images/labos-live.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';
import { bootServerPids } from '../ground/processes.js';
import { probeAccel } from '../libvirt/accel.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { checkLibvirtd, checkVirtlogd, VIRTLOGD_SOCKET } from './daemons.js';
import { checkPortFree } from './ports.js';
import { checkDnsmasq, checkIpxe, checkQemu, DNSMASQ } from './tools.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** Below this the live image, disks and console logs of even the mini lab do not fit. */
export const MIN_FREE_BYTES = 5 * 1024 ** 3;

const DEFAULT_PORT = 8080;

/** Runs every host check, never stopping at the first failure: the report lists them all. */
export async function runDoctor(opts: { lab?: LabSpec; host?: HostLayout } = {}): Promise<DoctorCheck[]> {
  const { lab, host = hostLayout() } = opts;
  const checks: [string, () => Promise<string | Omit<DoctorCheck, 'name'>>][] = [
    ['libvirtd', checkLibvirtd],
    ['virtlogd', async () => (await checkVirtlogd(), `listening on ${VIRTLOGD_SOCKET}`)],
    ['qemu', checkQemu],
    ['dnsmasq', async () => (await checkDnsmasq(), DNSMASQ)],
    ['iPXE ROMs', async () => (await checkIpxe(), 'undionly.kpxe, ipxe.efi and the virtio NIC ROM are installed')],
    ['accelerator', async () => {
      const probe = await probeAccel(lab?.accelerator ?? 'auto');
      return `${probe.accel.toUpperCase()}: ${probe.reason} (timeouts x${probe.timeoutScale})`;
    }],
    ['boot server port', () => bootServerPort(host, lab)],
    ['disk space', () => diskSpace(host.stateRoot)],
    ['image cache', async () => {
      const image = await liveImageCached(host.cacheRoot);
      return image.cached ? `built: ${image.dir}` : 'not built yet: built on first up';
    }],
  ];
  return Promise.all(
    checks.map(async ([name, run]): Promise<DoctorCheck> => {
      try {
        const r = await run();
        return typeof r === 'string' ? { name, ok: true, detail: r } : { name, ...r };
      } catch (err) {
        if (err instanceof LabError) return { name, ok: false, detail: err.message, fix: err.fix };
        return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

async function bootServerPort(host: HostLayout, lab: LabSpec | undefined): Promise<string> {
  if (!lab) {
    await checkPortFree(DEFAULT_PORT);
    return `${DEFAULT_PORT} is free on the wildcard address`;
  }
  const { address, port } = lab.bootServer;
  const pids = await bootServerPids(host.lab(lab.id));
  if (pids.length > 0) return `${address}:${port} is held by this lab's own boot server (pid ${pids.join(', ')})`;
  await checkPortFree(port, address);
  return `${address}:${port} is free`;
}

async function diskSpace(stateRoot: string): Promise<Omit<DoctorCheck, 'name'>> {
  const dir = await nearestExisting(stateRoot);
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  const detail = `${(free / 1024 ** 3).toFixed(1)} GiB free at ${dir}`;
  if (free >= MIN_FREE_BYTES) return { ok: true, detail };
  return { ok: false, detail: `${detail}, under 5 GiB`, fix: 'free space there, or point METAL_LAB_HOME at a larger filesystem' };
}

/** The state dir may not exist before the first `up`: measure the filesystem it will land on. */
export async function nearestExisting(dir: string): Promise<string> {
  let d = path.resolve(dir);
  while (!(await access(d).then(() => true, () => false))) d = path.dirname(d);
  return d;
}
