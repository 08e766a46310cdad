/**
 * MAC parsing with the rules of Go's net.ParseMAC, which Matchbox uses for `mac` labels and
 * selectors: 6-, 8- or 20-byte addresses as `xx:xx:..`, `xx-xx-..` or `xxxx.xxxx.xxxx`,
 * any hex case. The normal form is Go's HardwareAddr.String(): lowercase, colon-separated.
 */

const HEX = /^[0-9a-fA-F]$/;
const VALID_LENGTHS = new Set([6, 8, 20]);

function hexPair(s: string, at: number): string | undefined {
  const a = s[at];
  const b = s[at + 1];
  return a !== undefined && b !== undefined && HEX.test(a) && HEX.test(b) ? (a + b).toLowerCase() : undefined;
}

/** The normalised MAC, or undefined when Go's net.ParseMAC would reject `s`. */
export function parseGoMac(s: string): string | undefined {
  if (s.length < 14) return undefined;
  const bytes: string[] = [];
  if (s[2] === ':' || s[2] === '-') {
    if ((s.length + 1) % 3 !== 0) return undefined;
    const n = (s.length + 1) / 3;
    if (!VALID_LENGTHS.has(n)) return undefined;
    const sep = s[2];
    for (let i = 0, x = 0; i < n; i++, x += 3) {
      const pair = hexPair(s, x);
      if (pair === undefined) return undefined;
      if (i < n - 1 && s[x + 2] !== sep) return undefined;
      bytes.push(pair);
    }
  } else if (s[4] === '.') {
    if ((s.length + 1) % 5 !== 0) return undefined;
    const n = (2 * (s.length + 1)) / 5;
    if (!VALID_LENGTHS.has(n)) return undefined;
    for (let i = 0, x = 0; i < n; i += 2, x += 5) {
      const hi = hexPair(s, x);
      const lo = hexPair(s, x + 2);
      if (hi === undefined || lo === undefined) return undefined;
      if (i < n - 2 && s[x + 4] !== '.') return undefined;
      bytes.push(hi, lo);
    }
  } else {
    return undefined;
  }
  return bytes.join(':');
}

/** True when a label or selector key names the reserved `mac` label (Matchbox compares it case-insensitively). */
export function isMacKey(key: string): boolean {
  return key.toLowerCase() === 'mac';
}
