import { columns } from './columns.js';
import { cliContext, failed, type CliContext, type CliStreams } from './context.js';

export interface StatusArgs {
  lab?: string;
  json?: boolean;
}

/** `metal-lab status`: the lab's nodes as a table, or as JSON. */
export async function printStatus(cli: CliContext, args: StatusArgs): Promise<void> {
  const [{ existingLab }, { queryLabView }] = await Promise.all([import('./resolve.js'), import('../libvirt/lab-view.js')]);
  const lab = await existingLab(cli.host, args.lab);
  // virsh answers while the rest of status loads. Until labStatus awaits it, a failure must not
  // count as unhandled: it is reported from there, as one line.
  const libvirt = queryLabView(lab);
  libvirt.catch(() => {});
  const { labStatus } = await import('../lab/status.js');
  const s = await labStatus(lab, cli.host, libvirt);
  if (args.json) {
    cli.print(JSON.stringify(s, null, 2));
    return;
  }
  const rows = s.nodes.map((n) => {
    const last = n.lastRequest ? `${n.lastRequest.path} ${n.lastRequest.status} ${n.lastRequest.time.slice(11, 19)}` : '-';
    return [n.node, n.role, n.state, n.mac, n.ip, n.lease ?? '-', n.stage, last];
  });
  cli.print(`lab ${s.lab}: network ${s.network}, boot server ${s.bootServer}`);
  cli.print(columns(['node', 'role', 'state', 'mac', 'ip', 'lease', 'stage', 'last boot request'], rows));
}

/**
 * `status`, `status LAB`, `status --json` or `status LAB --json`, and nothing else: the command
 * line that can skip commander and the other commands' modules. Anything more (help, a typo)
 * goes the whole way, for commander's usage line.
 */
export function plainStatusArgs(args: string[]): StatusArgs | undefined {
  if (args[0] !== 'status' || args.length > 3) return undefined;
  const rest = args.slice(1);
  const json = rest.includes('--json');
  const positional = rest.filter((a) => a !== '--json');
  if (positional.length > 1 || positional.some((a) => a.startsWith('-')) || rest.length - positional.length > 1) return undefined;
  return { lab: positional[0], json };
}

/** Status is what a workshop types most: on its own it skips commander and the other commands' modules. */
export async function runStatus(args: StatusArgs, streams: CliStreams): Promise<number> {
  const cli = cliContext(streams);
  try {
    await printStatus(cli, args);
    return cli.exitCode;
  } catch (err) {
    return failed(cli, err);
  }
}
