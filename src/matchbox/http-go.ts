/**
 * The parts of Go's net/http that shape Matchbox's answers: ServeMux path cleaning and
 * redirects, http.NotFound / http.Error bodies, and http.ServeContent (content type,
 * Last-Modified, If-Modified-Since, a single byte range).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { detectContentType, typeByExtension } from './sniff.js';

/** Go's path.Clean. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else {
      out.push(seg);
    }
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/** An empty, `.` or `..` segment: only such a rooted path changes when cleaned. */
const UNCLEAN = /\/\/|\/\.\.?(?:\/|$)/;

/** ServeMux's cleanPath: rooted, cleaned, trailing slash kept. */
export function cleanPath(p: string): string {
  if (p.startsWith('/') && !UNCLEAN.test(p)) return p;
  if (p === '') return '/';
  if (!p.startsWith('/')) p = `/${p}`;
  let np = goClean(p);
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/** Go's url escaping of a path (shouldEscape with encodePath). */
export function escapePath(p: string): string {
  return Array.from(Buffer.from(p, 'utf8'), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  error?: string;
}

export function text(body: string, contentType = 'text/plain; charset=utf-8', status = 200): Reply {
  return { status, headers: { 'Content-Type': contentType }, body };
}

/** http.Error: message plus newline, text/plain, nosniff. */
export function goError(status: number, message: string, error?: string): Reply {
  const reply: Reply = {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: `${message}\n`,
  };
  if (error) reply.error = error;
  return reply;
}

export function notFound(error?: string): Reply {
  return goError(404, '404 page not found', error);
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

/** http.Redirect to an absolute path (the only kind ServeMux issues). */
export function redirect(method: string, location: string, status = 301): Reply {
  const headers: Record<string, string> = { Location: location };
  if (method === 'GET' || method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8';
  const body = method === 'GET' ? `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n` : '';
  return { status, headers, body };
}

/** FileServer's localRedirect: a relative Location, no body. */
export function localRedirect(target: string, rawQuery: string): Reply {
  return { status: 301, headers: { Location: rawQuery ? `${target}?${rawQuery}` : target }, body: '' };
}

export type Content = { kind: 'buffer'; data: Buffer } | { kind: 'file'; path: string; size: number; head: Buffer };

/** A single satisfiable range, 'none' for no/ignored Range, or 'unsatisfiable'. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'none' | 'unsatisfiable' | 'invalid' {
  if (!header) return 'none';
  if (!header.startsWith('bytes=')) return 'invalid';
  const specs = header.slice(6).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const ranges: { start: number; end: number }[] = [];
  for (const spec of specs) {
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
    if (m[1] === '') {
      const n = Math.min(Number(m[2]), size);
      ranges.push({ start: size - n, end: size - 1 });
    } else {
      const start = Number(m[1]);
      if (start >= size) continue;
      const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      if (end < start) return 'invalid';
      ranges.push({ start, end });
    }
  }
  if (ranges.length === 0) return 'unsatisfiable';
  // Several ranges would be a multipart answer; a boot server never needs one, so send it all.
  return ranges.length === 1 ? ranges[0]! : 'none';
}

/** http.ServeContent: what to send for `content` given the request's conditional and range headers. */
export function serveContent(req: IncomingMessage, content: Content, name: string, mtime?: Date): Reply & { range?: { start: number; end: number } } {
  const headers: Record<string, string> = { 'Accept-Ranges': 'bytes' };
  const head = content.kind === 'buffer' ? content.data : content.head;
  headers['Content-Type'] = typeByExtension(name) ?? detectContentType(head);
  if (mtime && mtime.getTime() > 0) {
    headers['Last-Modified'] = mtime.toUTCString();
    const ims = req.headers['if-modified-since'];
    if (ims && (req.method === 'GET' || req.method === 'HEAD')) {
      const since = Date.parse(ims);
      if (!Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since) {
        return { status: 304, headers: { 'Last-Modified': headers['Last-Modified'] }, body: '' };
      }
    }
  }
  const size = content.kind === 'buffer' ? content.data.length : content.size;
  const range = parseRange(req.headers.range, size);
  if (range === 'invalid' || range === 'unsatisfiable') {
    const reply = goError(416, range === 'invalid' ? 'invalid range' : 'invalid range: failed to overlap');
    if (range === 'unsatisfiable') reply.headers['Content-Range'] = `bytes */${size}`;
    return reply;
  }
  if (range === 'none') return { status: 200, headers, body: content.kind === 'buffer' ? content.data : '' };
  headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  const body = content.kind === 'buffer' ? content.data.subarray(range.start, range.end + 1) : '';
  return { status: 206, headers, body, range };
}

/** `reply` as it goes out: with its Content-Length (a 304 has none). A reply sent again and again is made ready once. */
export function readyToSend<R extends Reply>(reply: R): R {
  if (reply.status === 304 || 'Content-Length' in reply.headers) return reply;
  const length = typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.length;
  return { ...reply, headers: { ...reply.headers, 'Content-Length': String(length) } };
}

/** Sends a reply made ready by readyToSend. */
export function sendReady(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers);
  // A string body is measured, not copied into a Buffer: Node writes it out with the headers.
  res.end(reply.body);
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  sendReady(res, readyToSend(reply));
}
