/**
 * Rows as aligned columns under an upper-case header, the way kubectl and virsh print tables:
 * one line per row, so a workshop can grep and cut it, and nothing to load (status is typed
 * most, and a table library's import cost it 20 ms of about 125).
 */
export function columns(head: string[], rows: string[][]): string {
  const lines = [head.map((h) => h.toUpperCase()), ...rows];
  const widths = head.map((_, i) => Math.max(...lines.map((r) => (r[i] ?? '').length)));
  return lines.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ')).join('\n');
}
