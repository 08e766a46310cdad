/**
 * The JSON-lines request log: one object per answered request, appended in answer order.
 * The lab's assertions read it back to learn which machine fetched what, and when.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { NodeSpec } from '../ground/lab-spec.js';
import type { RequestLogEntry } from './types.js';

export class RequestLogWriter {
  private readonly stream: fs.WriteStream;

  private constructor(stream: fs.WriteStream) {
    this.stream = stream;
  }

  static async open(file: string): Promise<RequestLogWriter> {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const stream = fs.createWriteStream(file, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new RequestLogWriter(stream);
  }

  write(entry: RequestLogEntry): void {
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  /** Flushes buffered lines and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** Every entry of a request log; a missing file is an empty log, a torn last line is ignored. */
export async function readRequestLog(file: string): Promise<RequestLogEntry[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: RequestLogEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      entries.push(JSON.parse(line) as RequestLogEntry);
    } catch (err) {
      // Only the last line can be half-written (read while the server appends).
      if (i !== lines.length - 1) throw new Error(`${file}:${i + 1}: not a JSON line (${(err as Error).message})`);
    }
  });
  return entries;
}

/** A node's requests: those labelled with its MAC, or sent from its reserved IP (iPXE's /boot.ipxe and /assets carry no labels). */
export function nodeRequests(entries: readonly RequestLogEntry[], node: Pick<NodeSpec, 'mac' | 'ip'>): RequestLogEntry[] {
  return entries.filter((e) => e.labels?.mac === node.mac || e.client === node.ip);
}
