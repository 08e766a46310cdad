/**
 * /assets/: static files the way Go's http.FileServer serves them (redirects to canonical
 * paths, index.html, directory listings, ranges), confined to the assets dir. Unlike
 * http.Dir, a symlink whose target resolves outside the assets dir is treated as absent.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Reply, escapePath, goError, localRedirect, notFound, sendReply, serveContent } from './http-go.js';

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function htmlName(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

async function listing(dir: string): Promise<string> {
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let out = '<pre>\n';
  for (const e of entries) {
    const name = e.isDirectory() ? `${e.name}/` : e.name;
    // url.URL{Path: name}.String() prefixes "./" when the first segment has a colon.
    let href = escapePath(name);
    if (/^[^/]*:/.test(name)) href = `./${href}`;
    out += `<a href="${href}">${htmlName(name)}</a>\n`;
  }
  return `${out}</pre>\n`;
}

export class Assets {
  private root: string | undefined;

  constructor(private readonly dir: string) {}

  private async realRoot(): Promise<string | undefined> {
    this.root ??= await fsp.realpath(this.dir).catch(() => undefined);
    return this.root;
  }

  /**
   * Serves `urlPath` (the request path after `/assets`, already cleaned by the mux). Returns the
   * status and byte count written, for the request log.
   */
  async serve(req: IncomingMessage, res: ServerResponse, urlPath: string, rawQuery: string): Promise<{ status: number; bytes: number; error?: string }> {
    const reply = await this.resolve(req, urlPath, rawQuery);
    if ('file' in reply) {
      const { file, size, range } = reply;
      const r = reply.reply;
      const start = range?.start ?? 0;
      const end = range ? range.end : size - 1;
      const length = size === 0 ? 0 : end - start + 1;
      res.writeHead(r.status, { ...r.headers, 'Content-Length': String(length) });
      if (req.method === 'HEAD' || length === 0) {
        res.end();
      } else {
        await pipeline(fs.createReadStream(file, { start, end }), res).catch(() => res.destroy());
      }
      return { status: r.status, bytes: req.method === 'HEAD' ? 0 : length };
    }
    sendReply(res, reply);
    const bytes = typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.length;
    return reply.error ? { status: reply.status, bytes, error: reply.error } : { status: reply.status, bytes };
  }

  private async resolve(
    req: IncomingMessage,
    urlPath: string,
    rawQuery: string,
  ): Promise<Reply | { file: string; size: number; range?: { start: number; end: number }; reply: Reply }> {
    if (urlPath.includes('\0')) return goError(400, '400 Bad Request', 'NUL byte in asset path');
    if (urlPath.endsWith('/index.html')) return localRedirect('./', rawQuery);
    const root = await this.realRoot();
    if (!root) return notFound('assets dir does not exist');
    const real = await fsp.realpath(path.join(root, urlPath)).catch(() => undefined);
    if (!real) return notFound();
    if (!within(root, real)) return notFound('asset path resolves outside the assets dir');
    let st = await fsp.stat(real).catch(() => undefined);
    if (!st) return notFound();
    const base = path.posix.basename(urlPath);
    if (st.isDirectory() && !urlPath.endsWith('/')) return localRedirect(`${base}/`, rawQuery);
    if (!st.isDirectory() && urlPath.endsWith('/')) return localRedirect(`../${base}`, rawQuery);
    let file = real;
    if (st.isDirectory()) {
      const index = await fsp.realpath(path.join(real, 'index.html')).catch(() => undefined);
      const ist = index && within(root, index) ? await fsp.stat(index).catch(() => undefined) : undefined;
      if (index && ist && !ist.isDirectory()) {
        file = index;
        st = ist;
      } else {
        const body = await listing(real).catch(() => undefined);
        if (body === undefined) return goError(403, '403 Forbidden');
        return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Last-Modified': st.mtime.toUTCString() }, body };
      }
    }
    if (!st.isFile()) return notFound('not a regular file');
    const fh = await fsp.open(file, 'r').catch((err: NodeJS.ErrnoException) => err);
    if (!('read' in fh)) return fh.code === 'EACCES' ? goError(403, '403 Forbidden') : notFound();
    try {
      const head = Buffer.alloc(Math.min(512, st.size));
      await fh.read(head, 0, head.length, 0);
      const reply = serveContent(req, { kind: 'file', path: file, size: st.size, head }, path.basename(file), st.mtime);
      if (reply.status !== 200 && reply.status !== 206) return reply;
      return reply.range ? { file, size: st.size, range: reply.range, reply } : { file, size: st.size, reply };
    } finally {
      await fh.close();
    }
  }
}
