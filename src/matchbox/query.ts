/**
 * Request labels exactly as Matchbox v0.7 derives them from the query string. Matchbox was
 * built with Go < 1.17, whose url.ParseQuery splits on both `&` and `;`, skips pairs whose key
 * or value has a bad %-escape, and turns `+` into a space.
 */
import { isMacKey, parseGoMac } from './mac.js';

const utf8 = new TextDecoder();

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Go's url.QueryUnescape; undefined where Go returns an error. */
export function queryUnescape(s: string): string | undefined {
  if (!s.includes('%') && !s.includes('+')) return s;
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25) {
      const hi = hexVal(src[i + 1] ?? -1);
      const lo = hexVal(src[i + 2] ?? -1);
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else {
      out[n++] = c === 0x2b ? 0x20 : c;
    }
  }
  return utf8.decode(out.subarray(0, n));
}

/** Go's url.ParseQuery (pre-1.17): every value per key, in order, bad pairs skipped. */
export function parseQuery(raw: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of raw.split(/[&;]/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return values;
}

/**
 * Matchbox's labelsFromRequest: the first value of each key; a `mac` key (any case) is kept
 * only if it parses, in normal form.
 */
export function labelsFromQuery(raw: string): Record<string, string> {
  const labels: Record<string, string> = Object.create(null);
  for (const [key, list] of parseQuery(raw)) {
    const first = list[0]!;
    if (isMacKey(key)) {
      const mac = parseGoMac(first);
      if (mac !== undefined) labels[key] = mac;
    } else {
      labels[key] = first;
    }
  }
  return labels;
}
