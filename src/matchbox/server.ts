/**
 * The embedded Matchbox-compatible HTTP server: Go ServeMux routing (clean-path redirects,
 * exact paths, the /assets/ subtree), Matchbox's endpoints, and a JSON-lines request log.
 * It binds exactly the host it is given.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HostError, LabError } from '../errors.js';
import { Assets } from './assets.js';
import { ENDPOINTS, PURE_ENDPOINTS, type Answer } from './endpoints.js';
import { cleanPath, escapePath, goError, notFound, readyToSend, redirect, sendReady, sendReply, text } from './http-go.js';
import { LiveStore } from './live-store.js';
import { labelsFromQuery } from './query.js';
import { ReplyCache } from './reply-cache.js';
import { RequestLogWriter } from './request-log.js';
import type { StoreSnapshot } from './store.js';
import { TemplateFiles } from './template-files.js';
import type { RequestLogEntry } from './types.js';

export interface MatchboxServerOptions {
  dataDir: string;
  assetsDir: string;
  /** The address to bind: the lab bridge address or loopback. 0.0.0.0 / :: only if the caller really means it. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** JSON-lines request log; appended to. */
  requestLog?: string;
  /** Called once per distinct problem when changed data-dir files fail to load (the last good data keeps serving). */
  onDataError?: (err: Error) => void;
  /**
   * Strict mode, beyond Matchbox: each machine's reserved address by its MAC (normal form). Then
   * /ignition and /metadata answer only a request from the address reserved for the MAC it asks
   * about, or from the server's own address (the host): one VM cannot read another's config.
   */
  reservations?: ReadonlyMap<string, string>;
  /**
   * How long to wait for `host` to become an address of this machine (a lab bridge being created)
   * before failing as an unknown address. `up` starts its boot server beside the network.
   */
  awaitAddressMs?: number;
}

/** What strict mode guards: what a machine's config and secrets are served from. */
const STRICT_PATHS = new Set(['/ignition', '/metadata']);

export interface MatchboxServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const HEX2 = /^[0-9a-fA-F]{2}$/;

/** What a request came to, for its log line. */
interface Outcome {
  status: number;
  bytes: number;
  answer?: Answer;
  error?: string;
}

/** Where a request went, for its log line. */
interface RequestTarget {
  rawPath: string;
  rawQuery: string;
  labels: Record<string, string>;
}

/** A pure endpoint's answer, ready to send again to the same request target. */
interface KeptReply extends RequestTarget {
  answer: Answer;
}

/** Go's path unescaping of the request target: undefined for a bad %-escape (Go answers 400). */
function unescapePath(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  const parts = raw.split('%');
  const bytes: number[] = [...Buffer.from(parts[0]!)];
  for (const part of parts.slice(1)) {
    if (!HEX2.test(part.slice(0, 2))) return undefined;
    bytes.push(parseInt(part.slice(0, 2), 16), ...Buffer.from(part.slice(2)));
  }
  return Buffer.from(bytes).toString('utf8');
}

function splitTarget(target: string): { rawPath: string; rawQuery: string } | undefined {
  if (!target.startsWith('/')) {
    // absolute-form (a proxy-style request line); "*" and other forms have no path to serve.
    try {
      const u = new URL(target);
      if (u.protocol !== 'http:') return undefined;
      target = u.pathname + u.search;
    } catch {
      return undefined;
    }
  }
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

function clientIp(socket: Socket): string {
  const ip = socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

function bodyBytes(reply: Answer, method: string): number {
  if (method === 'HEAD' || reply.status === 304) return 0;
  return typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.length;
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): LabError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new HostError(`${host}:${port} is already in use`, 'stop whatever listens there or pass another port in --address');
    case 'EADDRNOTAVAIL':
      return new HostError(`${host} is not an address of this machine`, 'bind the lab bridge address or 127.0.0.1');
    case 'EACCES':
      return new HostError(`binding ${host}:${port} was refused (ports below 1024 need root)`, 'run as root or choose a port above 1023');
    default:
      return new HostError(`cannot listen on ${host}:${port}: ${err.message}`, 'check the address');
  }
}

/** Listens; an address that is not this machine's yet is tried again until `until` (a bridge being created). */
async function listenOn(server: http.Server, host: string, port: number, until: number): Promise<void> {
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, backlog: 4096 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'EADDRNOTAVAIL' || Date.now() >= until) throw listenError(e, host, port);
      await sleep(50);
    }
  }
}

export async function startMatchboxServer(opts: MatchboxServerOptions): Promise<MatchboxServer> {
  if (!(await fs.stat(opts.dataDir).catch(() => undefined))?.isDirectory()) {
    throw new HostError(`data dir ${opts.dataDir} does not exist`, 'create it (groups/, profiles/, ignition/) or pass the right --data');
  }
  const onDataError = opts.onDataError ?? ((err: Error) => console.error(`matchbox: ${err instanceof LabError ? err.line() : err.message}`));
  const store = await LiveStore.open(opts.dataDir, onDataError);
  const templates = new TemplateFiles(opts.dataDir);
  const assets = new Assets(opts.assetsDir);
  const replies = new ReplyCache<KeptReply>();
  let log: RequestLogWriter | undefined;
  try {
    log = opts.requestLog ? await RequestLogWriter.open(opts.requestLog) : undefined;
  } catch (err) {
    store.close();
    throw new HostError(`cannot open the request log ${opts.requestLog}: ${(err as Error).message}`, 'pass a writable --request-log path');
  }

  function strictRefusal(reservations: ReadonlyMap<string, string>, mac: string | undefined, client: string): string | undefined {
    if (client === opts.host) return undefined;
    if (!mac) return `strict: ${client} asked without a mac`;
    const reserved = reservations.get(mac);
    return reserved === client ? undefined : `strict: ${client} asked for ${mac}, reserved for ${reserved ?? 'no address'}`;
  }

  function outcome(method: string, answer: Answer): Outcome {
    const out: Outcome = { status: answer.status, bytes: bodyBytes(answer, method), answer };
    if (answer.error) out.error = answer.error;
    return out;
  }

  function sent(res: http.ServerResponse, method: string, answer: Answer): Outcome {
    sendReply(res, answer);
    return outcome(method, answer);
  }

  function logRequest(req: http.IncomingMessage, method: string, started: number, where: RequestTarget, result: Outcome): void {
    const entry: RequestLogEntry = {
      time: new Date().toISOString(),
      client: clientIp(req.socket),
      method,
      path: where.rawPath,
      query: where.rawQuery,
      labels: where.labels,
      status: result.status,
      bytes: result.bytes,
      ms: Math.round((performance.now() - started) * 1000) / 1000,
    };
    if (result.answer?.group) entry.group = result.answer.group;
    if (result.answer?.profile) entry.profile = result.answer.profile;
    if (result.error) entry.error = result.error;
    log?.write(entry);
  }

  /**
   * Serves one request. Synchronous while the snapshot and the endpoint are (a boot script, a
   * group's metadata: nearly every request), so those cost no promise and no extra turn. A pure
   * endpoint's answer is rendered once per snapshot and request target, and kept ready to send:
   * handle sends it again to the same target without routing. Labels are parsed only when
   * something reads them.
   */
  function route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    path: string,
    where: Omit<RequestTarget, 'labels'>,
    labelsOf: () => Record<string, string>,
  ): Outcome | Promise<Outcome> {
    const { rawQuery } = where;
    const clean = cleanPath(path);
    // Go's ServeMux redirects every non-canonical path (.., //, %2e%2e) to its clean form.
    if (clean !== path) return sent(res, method, redirect(method, escapePath(clean) + (rawQuery ? `?${rawQuery}` : '')));
    if (path.startsWith('/assets/')) return assets.serve(req, res, path.slice('/assets'.length), rawQuery);
    if (path === '/assets') return sent(res, method, redirect(method, '/assets/'));
    const handler = ENDPOINTS[path];
    const refused = opts.reservations && STRICT_PATHS.has(path) ? strictRefusal(opts.reservations, labelsOf().mac, clientIp(req.socket)) : undefined;
    if (refused) return sent(res, method, goError(403, '403 Forbidden', refused));
    if (!handler) return sent(res, method, path === '/' ? text('matchbox\n') : notFound());
    // With strict mode, who asks decides the answer: those are never kept.
    const keep = PURE_ENDPOINTS.has(path) && !(opts.reservations && STRICT_PATHS.has(path));
    const answerFrom = (snapshot: StoreSnapshot): Answer | Promise<Answer> => {
      const answer = handler(snapshot, { req, labels: labelsOf(), rawQuery }, templates);
      if (!keep || answer instanceof Promise) return answer;
      const ready = readyToSend(answer);
      replies.set(snapshot, req.url ?? '/', { ...where, labels: labelsOf(), answer: ready });
      return ready;
    };
    const snapshot = store.get();
    const answer = snapshot instanceof Promise ? snapshot.then(answerFrom) : answerFrom(snapshot);
    return answer instanceof Promise ? answer.then((a) => sent(res, method, a)) : sent(res, method, answer);
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = log ? performance.now() : 0;
    const method = req.method ?? 'GET';
    // A target a pure endpoint answered before, on this snapshot: sent again, unparsed and unrouted.
    const snapshot = store.get();
    const kept = snapshot instanceof Promise ? undefined : replies.get(snapshot, req.url ?? '/');
    if (kept) {
      sendReady(res, kept.answer);
      if (log) logRequest(req, method, started, kept, outcome(method, kept.answer));
      return;
    }
    const target = splitTarget(req.url ?? '/');
    const path = target && unescapePath(target.rawPath);
    const where = { rawPath: target?.rawPath ?? req.url ?? '', rawQuery: target?.rawQuery ?? '' };
    let labels: Record<string, string> | undefined;
    const labelsOf = () => (labels ??= labelsFromQuery(where.rawQuery));
    const failed = (err: unknown): Outcome => {
      if (!res.headersSent) sendReply(res, goError(500, '500 Internal Server Error'));
      else res.destroy();
      return { status: 500, bytes: 0, error: (err as Error).message };
    };
    const logged = (result: Outcome): void => {
      if (log) logRequest(req, method, started, { ...where, labels: labelsOf() }, result);
    };
    let result: Outcome | Promise<Outcome>;
    try {
      result = path === undefined ? sent(res, method, goError(400, '400 Bad Request', 'malformed request target')) : route(req, res, method, path, where, labelsOf);
    } catch (err) {
      result = failed(err);
    }
    if (result instanceof Promise) void result.catch(failed).then(logged);
    else logged(result);
  }

  const server = http.createServer({ keepAliveTimeout: 5000 }, handle);
  // Requests Node's parser rejects (oversized headers, garbage) still get a status and a log line.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status} ${reason}`);
    log?.write({ time: new Date().toISOString(), client: clientIp(socket), method: '', path: '', query: '', labels: {}, status, bytes: 0, ms: 0, error: err.code ?? err.message });
  });

  await listenOn(server, opts.host, opts.port, Date.now() + (opts.awaitAddressMs ?? 0)).catch(async (err) => {
    store.close();
    await log?.close();
    throw err;
  });

  const port = (server.address() as { port: number }).port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${urlHost}:${port}`,
    host: opts.host,
    port,
    async close() {
      store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await log?.close();
    },
  };
}
