import net from 'node:net';

/**
 * A TCP relay to the apiserver (TLS passes through it untouched) that can hold what a client
 * sends: a test then steps the client request by request and acts between two of them, however
 * slow or fast the machine. A client that waits for each answer before its next request (the
 * update-operator's loop) is stopped in front of the request it holds.
 */
export interface SteppingProxy {
  /** https://127.0.0.1:<port>: the client's kubeconfig server. */
  url: string;
  /** From now on what the client sends waits here until released. */
  hold(): void;
  /** Resolves once something the client sent waits, or after `ms` with false. */
  waiting(ms: number): Promise<boolean>;
  /** Sends what waits, and goes on holding. */
  release(): void;
  /** Sends what waits, and holds no more. */
  open(): void;
  close(): Promise<void>;
}

export async function startSteppingProxy(apiserver: URL): Promise<SteppingProxy> {
  let holding = false;
  const held: { to: net.Socket; chunk: Buffer }[] = [];
  let wake: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(apiserver.port), apiserver.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s)).on('error', () => (client.destroy(), upstream.destroy()));
    }
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    client.on('data', (chunk: Buffer) => {
      if (!holding) return void upstream.write(chunk);
      held.push({ to: upstream, chunk });
      wake?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = () => {
    for (const { to, chunk } of held.splice(0)) to.write(chunk);
  };
  return {
    url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    hold: () => void (holding = true),
    waiting: (ms) =>
      new Promise((resolve) => {
        if (held.length > 0) return resolve(true);
        const timer = setTimeout(() => resolve(false), ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve(true);
        };
      }),
    release,
    open: () => {
      holding = false;
      release();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
