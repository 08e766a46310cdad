import path from 'node:path';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { LabError } from '../errors.js';
import { DEFAULT_LAB } from './defaults.js';
import type { CliContext } from './context.js';
import { interruptible } from './interruptible.js';
import { underReport } from './under-report.js';

export function registerLabCommands(program: Command, cli: CliContext): void {
  const { host, env, say, print } = cli;
  const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));
  program
    .command('setup')
    .description('install missing Debian packages and start virtlogd/libvirtd')
    .option('--quiet', 'print only what changes')
    .action(async (opts: { quiet?: boolean }) => {
      const { ensureHost, SETUP_PACKAGES } = await import('../setup/host.js');
      const r = await ensureHost(say);
      if (!opts.quiet) say(`host ready (${SETUP_PACKAGES.length} packages checked, ${r.installed.length} installed, ${r.started.length} daemons started)`);
    });

  program
    .command('doctor')
    .description('check every prerequisite, one OK/FAIL line each with its fix')
    .argument('[lab]', 'lab file or name: also checks its boot server port')
    .option('--json', 'print the checks as JSON')
    .action(async (labArg: string | undefined, opts: { json?: boolean }) => {
      const { runDoctor } = await import('../preflight/doctor.js');
      const { labFromArg } = await import('./resolve.js');
      const checks = await runDoctor({ lab: labArg ? await labFromArg(labArg) : undefined, host });
      if (opts.json) printJson(checks);
      else for (const c of checks) print(`${c.ok ? 'OK  ' : 'FAIL'}  ${c.name.padEnd(12)} ${c.detail}${!c.ok && c.fix ? `  -> fix: ${c.fix}` : ''}`);
      if (checks.some((c) => !c.ok)) cli.exitCode = 1;
    });

  program
    .command('up')
    .description('bring a lab up: network, boot server, disks and VMs (idempotent)')
    .argument('[lab]', 'lab file or name in lab/', DEFAULT_LAB)
    .addOption(new Option('--boot <mode>', 'live: PXE into the live image; install: install labos to disk, then Ignition').choices(['live', 'install']).default('live'))
    .option('--json', 'print what changed as JSON')
    .option('--fluo-source <file>', 'a lab with updates: the update operator\'s source tarball (FLUO v0.9.0) if it is not built yet (or METAL_LAB_FLUO_SOURCE)')
    .option('--from <snapshot>', 'bring the lab back as snapshot NAME saved it (metal-lab snapshot save); its boot mode is the snapshot\'s')
    .action(async (labArg: string, opts: { json?: boolean; boot: 'live' | 'install'; fluoSource?: string; from?: string }) => {
      const [{ labFromArg }, { checkBootMode }, snapshots, { warnOf }] = await Promise.all([
        // Restoring brings SSH and the Kubernetes client: about a second of imports on a slow machine.
        import('./resolve.js'), import('../spec/boot-mode.js'), opts.from === undefined ? undefined : import('../lab/snapshot-restore.js'), import('./lab-warnings.js'),
      ]);
      const lab = await labFromArg(labArg);
      warnOf(lab, say);
      // A snapshot that is not there, of another lab file or not whole is told before the host is touched.
      const snapshot = snapshots && opts.from !== undefined ? await snapshots.checkSnapshotFor(lab, opts.from, labArg, host) : undefined;
      const boot = snapshot?.inputs.boot ?? opts.boot;
      checkBootMode(lab, boot);
      const [{ ensureHost }, { preflightLab }, { up }, { RunReport }, { chooseSource }] = await Promise.all([
        import('../setup/host.js'), import('../preflight/preflight.js'), import('../lab/up.js'), import('../report/run-report.js'), import('../images/fluo-source.js'),
      ]);
      await ensureHost(say);
      // Before the first progress line: what the lab asks of this host is the one line that says why not.
      const preflight = await preflightLab(lab, host);
      if (snapshots && snapshot) await snapshots.checkLabDown(lab.id, host);
      const signal = interruptible(cli);
      const report = new RunReport({ lab: lab.id, scenario: 'up', plain: opts.json });
      const shared = { steps: report, signal, host, preflight, fluoSource: chooseSource(opts.fluoSource, env) };
      const res = await underReport(report, () => (snapshots && snapshot ? snapshots.upFromSnapshot(lab, snapshot, shared) : up(lab, { ...shared, boot })), signal);
      if (opts.json) printJson(res);
    });

  program
    .command('down')
    .description('remove every VM, network, volume, process and file of a lab, and nothing else (its snapshots stay)')
    .argument('[lab]', 'lab id, file or name', DEFAULT_LAB)
    .option('--purge', 'remove its snapshots too')
    .option('--json', 'print what was removed as JSON')
    .action(async (labArg: string, opts: { json?: boolean; purge?: boolean }) => {
      const [{ down }, { labIdFromArg }] = await Promise.all([import('../lab/down.js'), import('./resolve.js')]);
      const id = await labIdFromArg(host, labArg);
      const r = await down(id, host, { purge: opts.purge });
      const snapshots = r.snapshots.length === 0 ? '' : opts.purge ? `, ${r.snapshots.length} snapshots` : `; kept ${r.snapshots.length} snapshots (down --purge removes them)`;
      if (opts.json) printJson({ lab: id, ...r, purged: Boolean(opts.purge) });
      else say(`${id} down: removed ${r.domains.length} VMs, ${r.network ? 1 : 0} network, ${r.pool ? 1 : 0} pool, ${r.pids.length} processes${r.nftTable ? ', nft table' : ''}${r.stateDir ? ', state dir' : ''}${snapshots}`);
    });

  program
    .command('status')
    .description('a table of the lab nodes: state, MAC, IP, last boot request, stage')
    .argument('[lab]', 'lab id, file or name')
    .option('--json', 'print as JSON')
    .action(async (lab: string | undefined, opts: { json?: boolean }) => {
      const { printStatus } = await import('./status.js');
      await printStatus(cli, { lab, json: opts.json });
    });

  program
    .command('logs')
    .description("print a node's serial console log")
    .argument('<node>')
    .option('--lab <lab>', 'lab id, file or name')
    .action(async (nodeName: string, opts: { lab?: string }) => {
      const { existingLab, nodeOf } = await import('./resolve.js');
      const lab = await existingLab(host, opts.lab);
      const file = host.lab(lab.id).console(nodeOf(lab, nodeName).name);
      if (!fs.existsSync(file)) throw new LabError(`no console log for ${nodeName} in lab ${lab.id}`, 'bring the lab up first: metal-lab up', 2);
      await pipeline(fs.createReadStream(file), cli.stdout, { end: false }).catch((err: NodeJS.ErrnoException) => {
        // A reader that stops early (logs node1 | head) is not a failure.
        if (err.code !== 'EPIPE') throw err;
      });
    });

  program
    .command('console')
    .description("attach to a node's serial console (Ctrl-] leaves)")
    .argument('<node>')
    .option('--lab <lab>', 'lab id, file or name')
    .action(async (nodeName: string, opts: { lab?: string }) => {
      const [{ attachConsole }, { labObjectNames }, { existingLab, nodeOf }] = await Promise.all([
        import('../libvirt/domain.js'), import('../ground/lab-spec.js'), import('./resolve.js'),
      ]);
      const lab = await existingLab(host, opts.lab);
      cli.exitCode = await attachConsole(labObjectNames(lab).domain(nodeOf(lab, nodeName).name));
    });

  program
    .command('run')
    .description('run a scenario end to end and write its artifacts (JUnit, timeline, HTML report, logs)')
    .argument('[scenario]', 'scenario file or name in scenarios/', 'pxe-boot')
    .option('--lab <lab>', "lab file or name (default: the scenario's lab:, a path there relative to the scenario)")
    .option('--keep', 'leave the lab running afterwards')
    .option('--artifacts <dir>', 'where to write the artifacts')
    .option('--json', 'plain progress on stderr, the result as JSON on stdout')
    .action(async (scenarioArg: string, opts: { lab?: string; keep?: boolean; artifacts?: string; json?: boolean }) => {
      const [{ loadScenario, resolveScenarioFile }, { checkScenarioLab, scenarioLab }, { runScenario }, { ensureHost }, { labFromArg }, { checkArtifactsDir }, { warnOf }] = await Promise.all([
        import('../spec/scenario.js'), import('../spec/scenario-lab.js'), import('../scenario/run.js'), import('../setup/host.js'), import('./resolve.js'), import('./artifacts-dir.js'),
        import('./lab-warnings.js'),
      ]);
      const scenario = await loadScenario(resolveScenarioFile(scenarioArg));
      const lab = opts.lab ? await labFromArg(opts.lab) : await scenarioLab(scenario);
      warnOf(lab, say);
      checkScenarioLab(scenario, lab);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
      const artifactsDir = path.resolve(opts.artifacts ?? path.join('artifacts', `${scenario.name}-${lab.id}-${stamp}`));
      await checkArtifactsDir(artifactsDir);
      await ensureHost(say);
      const signal = interruptible(cli);
      const res = await runScenario({ scenario, lab, artifactsDir, keep: opts.keep, plain: opts.json, signal, host });
      if (opts.json) printJson(res);
      // An interrupted run exits as an interrupted `up` does: 130, as a shell reports SIGINT.
      if (!res.ok) cli.exitCode = signal.aborted ? 130 : 1;
    });
}
