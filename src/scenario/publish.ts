import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ScenarioStep } from '../spec/scenario.js';
import { BASE_RELEASE, buildDiskImage } from '../images/labos-disk.js';
import { labChannels, type LabChannels } from '../release/lab-channels.js';
import { channelDir } from '../release/manifest.js';
import { checkPayloadRelease } from '../release/payload-release.js';
import { publishRelease } from '../release/publish.js';
import { channelRelease } from '../release/read.js';
import type { ScenarioContext } from './context.js';
import { deriveBrokenRelease } from './publish-broken.js';
import type { BuildReporting } from '../toolkit/cached-build.js';

type PublishStep = Extract<ScenarioStep, { kind: 'publish' }>;

/** The /usr image a broken release is derived from: what the channel serves, or the base release when it serves nothing. */
async function servedRelease(ctx: ScenarioContext, { assetsDir, publicPem }: LabChannels, channel: string, reporting: BuildReporting): Promise<{ usr: string; version: string }> {
  const served = await channelRelease(assetsDir, channel, publicPem);
  if (served?.manifest && served.problems.length === 0) return { usr: path.join(channelDir(assetsDir, channel), served.manifest.payload), version: served.manifest.version };
  return { usr: (await buildDiskImage({ cacheDir: ctx.host.cacheRoot, ...reporting })).usr, version: BASE_RELEASE.version };
}

/**
 * `publish`: a labos release onto the lab's update channel, with the code `release publish`
 * runs (the payload must carry the version it is published as). The release is built, or found in the image cache, with its kernel; a broken one is
 * derived in the lab's state dir (so `down` removes what a crash leaves) and removed once the
 * channel has its own copy. With a rollout watch running, the timeline notes when it went out:
 * the rollout is judged from then on.
 */
export async function publishStep(ctx: ScenarioContext, step: PublishStep): Promise<string> {
  const channels = await labChannels(ctx.lab, ctx.host);
  // The load made sure the lab has updates: and that the channel is a name.
  const channel = step.channel ?? ctx.lab.updates!.channel;
  const reporting: BuildReporting = {
    onProgress: (msg) => ctx.report.info(`publish ${step.version}: ${msg}`),
    onHeartbeat: (msg) => ctx.report.activity(`publish ${step.version}: ${msg}`),
  };
  let work: string | undefined;
  try {
    let payloadFile: string;
    let what: string;
    if (step.broken) {
      const from = await servedRelease(ctx, channels, channel, reporting);
      work = await mkdtemp(path.join(ctx.paths.root, 'broken-release-'));
      payloadFile = await deriveBrokenRelease(from.usr, step.version, work);
      what = `${from.version}'s /usr with an init that exits at once`;
    } else {
      const image = await buildDiskImage({ cacheDir: ctx.host.cacheRoot, release: { version: step.version, kernel: step.kernel ?? BASE_RELEASE.kernel }, ...reporting });
      payloadFile = image.usr;
      what = `kernel ${image.kernelVersion}`;
      // What a node that boots it must run; a broken release is never booted.
      ctx.published.set(step.version, { kernel: image.kernelVersion });
    }
    await checkPayloadRelease(payloadFile, step.version);
    const { manifest } = await publishRelease({ assetsDir: channels.assetsDir, channel, version: step.version, payloadFile, key: channels.key });
    const r = ctx.rollout;
    if (r?.watch) r.write(r.watch.record.publish(Date.now(), step.version, channel));
    return `${manifest.version} (${what}) on channel ${channel}: ${manifest.payload}, ${manifest.size} bytes, at ${channels.server}/releases/${channel}/`;
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
  }
}
