import { labObjectNames, type Accel, type LabSpec } from '../spec/types.js';
import { probeAccel } from '../libvirt/accel.js';
import { ensureNetwork, networkInfo } from '../libvirt/network.js';
import { ensurePool, ensureVolume } from '../libvirt/pool.js';
import { ensureDomain } from '../libvirt/domain.js';
import { preflightLab } from '../preflight/preflight.js';
import { buildLiveImage } from '../images/labos-live.js';
import { bootServerPids, ensureBootServer } from './boot-server.js';
import { readLabState, writeLabState } from './state.js';
import { renderedFiles, writeLabFiles } from './lab-files.js';
import { down } from './down.js';
import { silentSteps, type StepRunner } from './steps.js';

export interface UpResult {
  accel: Accel;
  timeoutScale: number;
  /** What each action did; all 'unchanged' on a repeated `up`. */
  changes: Record<string, 'created' | 'started' | 'unchanged'>;
}

/**
 * Brings a lab up: checks the host, builds the node image, then creates the network, boot
 * server, disks and VMs. Idempotent: an existing lab is left as it is. Nothing is created before
 * every check passed; if creating fails or the signal aborts (Ctrl-C), what this call created is
 * removed again.
 */
export async function up(lab: LabSpec, opts: { steps?: StepRunner; signal?: AbortSignal } = {}): Promise<UpResult> {
  const steps = opts.steps ?? silentSteps;
  const names = labObjectNames(lab);
  const probe = await steps.step('accelerator', undefined, () => probeAccel(lab.accelerator));
  steps.info(`accelerator: ${probe.accel} (${probe.reason})`);

  const existed = (await readLabState(lab.id)) !== undefined;
  await steps.step('preflight', undefined, async () =>
    preflightLab(lab, {
      ownBridge: (await networkInfo(names.network))?.bridge === lab.network.bridge,
      ownServer: (await bootServerPids(lab)).length > 0,
    }),
  );
  const image = await steps.step('labos live image', undefined, () => buildLiveImage({ onProgress: (m) => steps.info(m) }));
  opts.signal?.throwIfAborted();

  const changes: UpResult['changes'] = {};
  const files = renderedFiles(lab);
  try {
    await steps.step('lab files', undefined, async () => {
      await writeLabFiles(lab, probe.accel, image);
      await writeLabState({ id: lab.id, lab, accel: probe.accel, timeoutScale: probe.timeoutScale, createdAt: new Date().toISOString() });
    });
    opts.signal?.throwIfAborted();
    changes.network = await steps.step('network', undefined, () => ensureNetwork(names.network, files.network));
    opts.signal?.throwIfAborted();
    changes['boot server'] = await steps.step('boot server', undefined, () => ensureBootServer(lab));
    changes.pool = await steps.step('disk pool', undefined, () => ensurePool(names.pool, files.pool));
    await Promise.all(
      lab.nodes.map(async (node) => {
        opts.signal?.throwIfAborted();
        await steps.step('vm', node.name, async () => {
          changes[`${node.name} disk`] = await ensureVolume(names.pool, names.volume(node.name), files.volume(node.name));
          opts.signal?.throwIfAborted();
          changes[node.name] = await ensureDomain(names.domain(node.name), files.domain(node.name));
        });
      }),
    );
    opts.signal?.throwIfAborted();
  } catch (err) {
    if (opts.signal?.aborted || !existed) await down(lab.id);
    throw err;
  }
  return { accel: probe.accel, timeoutScale: probe.timeoutScale, changes };
}
