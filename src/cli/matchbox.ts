/** `metal-lab matchbox serve`: the embedded Matchbox-compatible server as a foreground process. */
import { isIPv4, isIPv6 } from 'node:net';
import type { Command } from 'commander';
import { LabError } from '../errors.js';
import { APISERVER_PORT } from '../ground/cluster.js';
import type { CliContext } from './context.js';
import { seconds } from './seconds.js';

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

/** Parses `MAC=IP,MAC=IP` (strict mode's reservations) into a map by the MAC's normal form. */
export function parseReservations(list: string, parseMac: (s: string) => string | undefined): Map<string, string> {
  const reservations = new Map<string, string>();
  for (const pair of list.split(',')) {
    const [rawMac = '', ip = '', ...rest] = pair.trim().split('=');
    const mac = parseMac(rawMac);
    if (!mac || !isIPv4(ip) || rest.length > 0) {
      throw new LabError(`--strict: ${JSON.stringify(pair)} is not MAC=IP`, 'pass each machine as MAC=IP, comma-separated, e.g. --strict 52:54:00:a1:9c:ae=172.19.0.21', 2);
    }
    reservations.set(mac, ip);
  }
  return reservations;
}

/** The lab's API front door lives in its boot server's process: the one host process a lab keeps. */
async function openApiFrontDoor(host: string, apiName: string, print: (line: string) => void) {
  const { openFrontDoor } = await import('../kube/api-front-door.js');
  const door = await openFrontDoor({ host, port: APISERVER_PORT, apiName, apiPort: APISERVER_PORT, dnsServer: host, log: print });
  print(`api front door: ${door.url} -> ${apiName}:${APISERVER_PORT}`);
  return door;
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
    .option('--strict <MAC=IP,...>', "answer /ignition and /metadata only to the address reserved for the MAC asked about (and the server's own)")
    .option('--await-address <seconds>', 'wait this long for the address to appear on this machine (a bridge being created) before failing', seconds('--await-address', 30))
    .option('--api-front-door <name>', `also pass TCP on the address's port ${APISERVER_PORT} to the API servers <name> resolves to (DNS asked at the address)`)
    .action(async (opts: { data: string; assets: string; address: string; requestLog?: string; strict?: string; awaitAddress?: number; apiFrontDoor?: string }) => {
      const { host, port } = parseAddress(opts.address);
      const { parseGoMac } = await import('../matchbox/mac.js');
      const reservations = opts.strict === undefined ? undefined : parseReservations(opts.strict, parseGoMac);
      // Loaded here, not at the top: every other command would pay for the server's modules.
      const { startMatchboxServer } = await import('../matchbox/server.js');
      const server = await startMatchboxServer({
        dataDir: opts.data, assetsDir: opts.assets, host, port, requestLog: opts.requestLog, reservations, awaitAddressMs: (opts.awaitAddress ?? 0) * 1000,
      });
      print(`matchbox: serving ${opts.data} at ${server.url}`);
      const door = opts.apiFrontDoor === undefined ? undefined : await openApiFrontDoor(host, opts.apiFrontDoor, print);
      await new Promise<void>((resolve) => {
        const stop = () => void Promise.all([server.close(), door?.close()]).then(() => resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
