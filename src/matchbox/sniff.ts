/**
 * Content types as Go's net/http picks them when a handler sets none: by extension from Go's
 * built-in table, else by sniffing (http.DetectContentType), reduced to the text-ish and common
 * binary signatures a boot server meets.
 */

const BY_EXTENSION: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.gif': 'image/gif',
  '.htm': 'text/html; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.js': 'application/javascript',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.xml': 'text/xml; charset=utf-8',
};

export function typeByExtension(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot).toLowerCase()];
}

const HTML_TAGS = ['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE', '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'];

const MAGIC: [number[], string][] = [
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'application/pdf'],
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x1f, 0x8b, 0x08], 'application/x-gzip'],
  [[0x50, 0x4b, 0x03, 0x04], 'application/zip'],
];

function isWs(b: number): boolean {
  return b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;
}

/** Go's binary-byte test: control bytes other than tab, newline, form feed, CR and ESC. */
function isBinary(b: number): boolean {
  return b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f);
}

export function detectContentType(data: Uint8Array): string {
  const head = data.subarray(0, 512);
  if (head[0] === 0xfe && head[1] === 0xff) return 'text/plain; charset=utf-16be';
  if (head[0] === 0xff && head[1] === 0xfe) return 'text/plain; charset=utf-16le';
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'text/plain; charset=utf-8';
  let i = 0;
  while (i < head.length && isWs(head[i]!)) i++;
  const rest = Buffer.from(head.subarray(i));
  for (const tag of HTML_TAGS) {
    if (rest.length <= tag.length) continue;
    const after = rest[tag.length]!;
    if (rest.subarray(0, tag.length).toString('latin1').toUpperCase() === tag && (after === 0x20 || after === 0x3e)) {
      return 'text/html; charset=utf-8';
    }
  }
  if (rest.subarray(0, 5).toString('latin1') === '<?xml') return 'text/xml; charset=utf-8';
  for (const [sig, type] of MAGIC) if (sig.every((b, k) => head[k] === b)) return type;
  return head.some(isBinary) ? 'application/octet-stream' : 'text/plain; charset=utf-8';
}
