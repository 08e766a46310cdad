/** `metal-lab matchbox serve`: the embedded Matchbox-compatible server as a foreground process. */
import { isIPv4, isIPv6 } from 'node:net';
import type { Command } from 'commander';
import { LabError } from '../errors.js';
import type { CliContext } from './program.js';

/** Parses `IP:PORT` or `[IPv6]:PORT`; the host must be a literal address so we bind exactly it. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  const ip = m?.[1] ?? '';
  const literal = isIPv4(ip) || isIPv6(ip);
  // Port 0 asks the kernel for a free port (the printed URL tells which).
  if (!literal || !(port >= 0 && port <= 65535)) {
    throw new LabError(`--address ${JSON.stringify(address)} is not IP:PORT`, 'pass e.g. --address 172.18.0.2:8080 or --address 127.0.0.1:8080', 2);
  }
  return { host: ip, port };
}

export function registerMatchbox(program: Command, { print }: CliContext): void {
  const matchbox = program.command('matchbox').description('The embedded Matchbox-compatible boot server');
  matchbox
    .command('serve')
    .description('Serve iPXE scripts, Ignition configs and assets from a Matchbox data dir')
    .requiredOption('--data <dir>', 'Matchbox data dir (groups/, profiles/, ignition/, generic/)')
    .requiredOption('--assets <dir>', 'directory served under /assets/')
    .requiredOption('--address <ip:port>', 'address to bind, e.g. 172.18.0.2:8080 (0.0.0.0 only if you mean every interface)')
    .option('--request-log <file>', 'append a JSON line per request to this file')
    .action(async (opts: { data: string; assets: string; address: string; requestLog?: string }) => {
      const { host, port } = parseAddress(opts.address);
      // Loaded here, not at the top: every other command would pay for the server's modules.
      const { startMatchboxServer } = await import('../matchbox/server.js');
      const server = await startMatchboxServer({ dataDir: opts.data, assetsDir: opts.assets, host, port, requestLog: opts.requestLog });
      print(`matchbox: serving ${opts.data} at ${server.url}`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
