import type { Command } from 'commander';
import { columns } from './columns.js';
import { DEFAULT_LAB } from './defaults.js';
import type { CliContext } from './context.js';
import { interruptible } from './interruptible.js';
import { underReport } from './under-report.js';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function registerSnapshot(program: Command, cli: CliContext): void {
  const { host, say, print } = cli;
  const snapshot = program.command('snapshot').description("save a running lab's disks, memory and state, and bring it back with up --from");

  snapshot
    .command('save')
    .description('save every node (memory and disk), the boot server and the lab state and PKI as NAME; the lab runs on')
    .argument('<name>')
    .argument('[lab]', 'lab id, file or name', DEFAULT_LAB)
    .option('--json', 'plain progress, the manifest as JSON on stdout')
    .action(async (name: string, labArg: string, opts: { json?: boolean }) => {
      const [{ labIdFromArg }, { checkSave, saveSnapshot }, { checkSnapshotName }, { RunReport }] = await Promise.all([
        import('./resolve.js'), import('../lab/snapshot-save.js'), import('../ground/snapshot-name.js'), import('../report/run-report.js'),
      ]);
      checkSnapshotName(name);
      const id = await labIdFromArg(host, labArg);
      const state = await checkSave(host, id, name);
      const report = new RunReport({ lab: id, scenario: 'snapshot save', plain: opts.json });
      // Ctrl-C: the paused or saved nodes run on, and no half snapshot stays.
      const signal = interruptible(cli);
      const m = await underReport(report, () => saveSnapshot(state, name, { host, steps: report, signal }), signal);
      if (opts.json) print(JSON.stringify(m, null, 2));
      else say(`saved snapshot ${name} of lab ${id} (${m.nodes.length} nodes, ${mib(Object.values(m.files).reduce((s, f) => s + f.size, 0))}); bring it back with: metal-lab up ${labArg} --from ${name}`);
    });

  snapshot
    .command('list')
    .description("a lab's snapshots (every lab's without one): name, time, boot mode, nodes, size")
    .argument('[lab]', 'lab id, file or name')
    .option('--json', 'print as JSON')
    .action(async (labArg: string | undefined, opts: { json?: boolean }) => {
      const [{ labIdFromArg }, { listSnapshots }] = await Promise.all([import('./resolve.js'), import('../lab/snapshot-list.js')]);
      const list = await listSnapshots(host, labArg === undefined ? undefined : await labIdFromArg(host, labArg));
      if (opts.json) {
        print(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) {
        say(`no snapshots${labArg ? ` of ${labArg}` : ''}: save one with metal-lab snapshot save NAME [lab]`);
        return;
      }
      const rows = list.map((s) => (s.problem ? [s.lab, s.name, s.problem] : [s.lab, s.name, s.createdAt!.slice(0, 19).replace('T', ' '), s.boot!, String(s.nodes!), mib(s.bytes!)]));
      print(columns(['lab', 'snapshot', 'saved', 'boot', 'nodes', 'size'], rows));
    });

  snapshot
    .command('rm')
    .description('remove snapshot NAME of a lab')
    .argument('<name>')
    .argument('[lab]', 'lab id, file or name', DEFAULT_LAB)
    .action(async (name: string, labArg: string) => {
      const [{ labIdFromArg }, { removeSnapshot }] = await Promise.all([import('./resolve.js'), import('../lab/snapshot-list.js')]);
      const id = await labIdFromArg(host, labArg);
      await removeSnapshot(host, id, name);
      say(`removed snapshot ${name} of lab ${id}`);
    });
}
