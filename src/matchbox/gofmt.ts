/**
 * Go's text forms of the values Matchbox renders (JSON-decoded metadata: string, float64,
 * bool, nil, []interface{}, map[string]interface{}), so bodies match Matchbox byte for byte.
 */

/** An integer as Go's template parser types it (int constants, len, range indexes), as opposed to JSON's float64. */
export class GoInt {
  constructor(readonly n: number) {}
  toString(): string {
    return String(this.n);
  }
}

/** Go's fmt %v for a float64: strconv 'g' with the shortest digits (so 1e6 prints as `1e+06`). */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const [mant, expText] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  // With the shortest precision strconv decides between %e and %f as if the precision were 6.
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** Go's fmt %v of a decoded JSON value (maps print with sorted keys, as Go 1.12+ does). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoInt) return v.toString();
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    return `map[${Object.keys(obj)
      .sort(compareGoStrings)
      .map((k) => `${k}:${formatValue(obj[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** Byte-wise (UTF-8) string order, as Go compares strings. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  // Code-unit order equals UTF-8 byte order unless surrogates are involved; only then pay for Buffers.
  if (!/[\ud800-\udfff]/.test(a + b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const JSON_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A string as Go's encoding/json writes it (HTML-safe escapes, lone surrogates as U+FFFD). */
export function goJsonString(s: string): string {
  return `"${s.replace(/["\\<>&\u2028\u2029\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    const known = JSON_ESCAPES[c];
    if (known) return known;
    if (c.charCodeAt(0) >= 0xd800) return '\ufffd';
    return `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  })}"`;
}
