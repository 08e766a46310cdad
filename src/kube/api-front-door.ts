import https from 'node:https';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';

/**
 * The host's way to the API, as kind's load balancer is for an HA cluster: a TCP door on the lab's
 * bridge address that passes each connection to one of the API servers the API name resolves to.
 * TLS goes through untouched (the client checks the API name in the certificate), so the door
 * holds no key. It asks the lab network's DNS for the name on every connection, and tries the
 * addresses in turn, ready ones first and among them the last one used: a client outlives the
 * loss of any controller.
 */
export interface FrontDoorOptions {
  host: string;
  port: number;
  apiName: string;
  /** The API servers' port. */
  apiPort: number;
  /** The DNS server that resolves apiName: the lab's dnsmasq, on the bridge address. */
  dnsServer: string;
  /** A controller that does not accept within this is passed over (a powered-off one never answers). */
  connectTimeoutMs?: number;
  /** How often each API server's /readyz is asked, as haproxy's `option httpchk` does in kubeadm's HA setup. */
  probeIntervalMs?: number;
  log?: (line: string) => void;
}

export interface FrontDoor {
  url: string;
  close(): Promise<void>;
}

export async function openFrontDoor(o: FrontDoorOptions): Promise<FrontDoor> {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([o.dnsServer]);
  const log = o.log ?? (() => {});
  let preferred: string | undefined;
  let outage = false;

  // A controller cut off from etcd's quorum still accepts connections, and answers them with
  // errors: its /readyz says so, and the door sends connections to the ready ones first.
  // One round of probes at a time: on a starved API server a probe outlasts the interval, and
  // piling up new ones would cost it a TLS handshake every interval.
  const ready = new Map<string, boolean>();
  let probing = false;
  const probe = async () => {
    if (probing) return;
    probing = true;
    try {
      const addresses = await resolver.resolve4(o.apiName).catch(() => [] as string[]);
      await Promise.all(addresses.map(async (a) => ready.set(a, await readyz(a, o.apiPort, o.connectTimeoutMs ?? 3000))));
    } finally {
      probing = false;
    }
  };
  const prober = setInterval(() => void probe(), o.probeIntervalMs ?? 3000).unref();
  void probe();

  const backends = async (): Promise<string[]> => {
    const addresses = await resolver.resolve4(o.apiName);
    const rank = (a: string) => (ready.get(a) ? 0 : 2) + (a === preferred ? 0 : 1);
    return [...addresses].sort((a, b) => rank(a) - rank(b));
  };

  // Open streams end with the door: a watch would otherwise hold close() open for good.
  const open = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    void backends()
      .then((addresses) => connectFirst(addresses, o.apiPort, o.connectTimeoutMs ?? 3000))
      .then(({ socket, address, passed }) => {
        if (client.destroyed) return void socket.destroy();
        if (address !== preferred || outage) log(`api front door: ${o.apiName} -> ${address}${passed.length ? ` (passed over: ${passed.join(', ')})` : ''}`);
        preferred = address;
        outage = false;
        socket.on('error', () => client.destroy());
        client.on('close', () => socket.destroy());
        socket.on('close', () => client.destroy());
        client.pipe(socket).pipe(client);
        client.resume();
      })
      .catch((err: Error) => {
        // Once per outage: clients retry every few seconds while a control plane comes up.
        if (!outage) log(`api front door: no API server for ${o.apiName}: ${err.message}`);
        outage = true;
        client.destroy();
      });
  });
  const close = () => {
    clearInterval(prober);
    for (const socket of open) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => void close().then(() => reject(err)));
    server.listen(o.port, o.host, () => resolve());
  });
  return { url: `https://${o.host}:${(server.address() as net.AddressInfo).port}`, close };
}

/**
 * Whether an API server says it is ready. /readyz is public (system:public-info-viewer), so the
 * probe needs no credentials; like haproxy's `check-ssl verify none` it reads only the status.
 */
function readyz(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get({ host, port, path: '/readyz', rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy()).on('error', () => resolve(false));
  });
}

/** Connects to the first address that accepts; the others' failures say why they were passed over. */
export async function connectFirst(addresses: string[], port: number, timeoutMs: number): Promise<{ socket: net.Socket; address: string; passed: string[] }> {
  const passed: string[] = [];
  for (const address of addresses) {
    try {
      return { socket: await connect(address, port, timeoutMs), address, passed };
    } catch (err) {
      passed.push(`${address} ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  throw new Error(addresses.length ? `none accepted: ${passed.join(', ')}` : 'the name resolves to no address');
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
