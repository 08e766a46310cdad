import type { Command } from 'commander';
import { LabError } from '../errors.js';
import type { CliContext } from './context.js';

/** `metal-lab release publish|show`: a lab's update channels, served by its boot server under /assets/releases/. */
export function registerRelease(program: Command, cli: CliContext): void {
  const { host, say, print } = cli;
  const release = program.command('release').description("publish labos releases on a lab's update channels, and show them");
  const channels = async (labArg: string | undefined) => {
    const [{ existingLab }, { labChannels }] = await Promise.all([import('./resolve.js'), import('../release/lab-channels.js')]);
    const lab = await existingLab(host, labArg);
    return { lab, at: await labChannels(lab, host) };
  };

  release
    .command('publish')
    .description('sign a labos /usr image as a release on a channel: nodes on it install it at their next check')
    .argument('<payload-file>', 'the /usr image nodes write onto their other slot (usr.ext4, as `metal-lab build disk --labos-version V` prints it)')
    .option('--lab <lab>', 'lab id, file or name')
    .option('--version <version>', 'the release version, e.g. 2.0.0: nodes install it when it differs from their VERSION')
    .option('--channel <channel>', 'the channel (a node\'s GROUP)', 'stable')
    .action(async (payloadFile: string, opts: { lab?: string; version?: string; channel: string }) => {
      const [{ publishRelease }, { checkPayloadRelease }] = await Promise.all([import('../release/publish.js'), import('../release/payload-release.js')]);
      const version = await checkPayloadRelease(payloadFile, opts.version);
      const { lab, at } = await channels(opts.lab);
      const r = await publishRelease({ assetsDir: at.assetsDir, channel: opts.channel, version, payloadFile, key: at.key });
      const m = r.manifest;
      say(`${lab.id}: ${m.version} on channel ${m.channel}: ${m.payload}, ${m.size} bytes${r.removed.length ? `; removed ${r.removed.join(', ')}` : ''}`);
      say(`nodes with SERVER=${at.server} and GROUP=${m.channel} find it at ${at.server}/releases/${m.channel}/release.json`);
    });

  release
    .command('show')
    .description("a lab's releases, checked as a node checks them: version, size, sha512, signature")
    .option('--lab <lab>', 'lab id, file or name')
    .option('--channel <channel>', 'only this channel (default: every channel)')
    .option('--json', 'print as JSON')
    .action(async (opts: { lab?: string; channel?: string; json?: boolean }) => {
      const [{ listReleases }, { checkChannel }] = await Promise.all([import('../release/read.js'), import('../release/input.js')]);
      if (opts.channel !== undefined) checkChannel(opts.channel);
      const { lab, at } = await channels(opts.lab);
      const all = await listReleases(at.assetsDir, at.publicPem);
      const releases = opts.channel ? all.filter((r) => r.channel === opts.channel) : all;
      if (opts.channel && releases.length === 0) {
        const others = all.length ? `, or show one that has: ${all.map((r) => r.channel).join(', ')}` : '';
        throw new LabError(`lab ${lab.id} has no release on channel ${opts.channel}`, `publish one: metal-lab release publish --lab ${lab.id} --channel ${opts.channel} --version VERSION FILE${others}`, 2);
      }
      if (releases.some((r) => r.problems.length > 0)) cli.exitCode = 1;
      if (opts.json) {
        print(JSON.stringify(releases, null, 2));
        return;
      }
      print(`lab ${lab.id}: channels at ${at.server}/releases/`);
      if (releases.length === 0) print('  no releases');
      for (const r of releases) {
        print(`${r.channel}: ${r.manifest?.version ?? '(not a release)'}`);
        if (r.manifest) print(`  payload    ${r.manifest.payload}, ${r.manifest.size} bytes\n  sha512     ${r.manifest.sha512}`);
        print(`  signature  ${r.signed ? 'verifies' : 'DOES NOT VERIFY'} with ${at.publicFile}`);
        for (const problem of r.problems) print(`  refused    ${problem}`);
      }
    });
}
