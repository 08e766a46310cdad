import { execa } from 'execa';

export interface ListeningSocket {
  proto: string;
  /** As `ss` prints it: `172.22.0.1:8080`, or `0.0.0.0%ml-life0:67` for a socket bound to a device. */
  local: string;
  pid: number;
  command: string;
}

/** Every listening TCP and UDP socket of these processes (`ss -Hlntup`, as root). */
export async function listeningSockets(pids: readonly number[]): Promise<ListeningSocket[]> {
  const { stdout } = await execa('ss', ['-Hlntup']);
  return stdout.split('\n').flatMap((line) => {
    const [proto = '', , , , local = '', , ...rest] = line.trim().split(/\s+/);
    return [...rest.join(' ').matchAll(/\("([^"]+)",pid=(\d+),/g)]
      .map((m) => ({ proto, local, pid: Number(m[2]), command: m[1]! }))
      .filter((s) => pids.includes(s.pid));
  });
}

/** The sockets not on `bridge`: bound to none of its addresses (IPv4, ULA, link-local) and not to the device. */
export async function offBridge(sockets: readonly ListeningSocket[], bridge: string): Promise<ListeningSocket[]> {
  const { stdout } = await execa('ip', ['-j', 'addr', 'show', 'dev', bridge]);
  const addresses = (JSON.parse(stdout) as Array<{ addr_info: Array<{ local: string }> }>).flatMap((i) => i.addr_info.map((a) => a.local));
  return sockets.filter((k) => {
    const m = /^\[?([^\]%]+)\]?(?:%([^:]+))?:\d+$/.exec(k.local);
    return !(m && (m[2] === bridge || addresses.includes(m[1]!)));
  });
}
