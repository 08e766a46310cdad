/**
 * virsh prints human tables (a header, a dashed rule, then rows). This turns the rows into
 * arrays of whitespace-separated cells; callers know their column layout.
 */
export function tableRows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const rule = lines.findIndex((l) => /^-{5,}/.test(l.trim()));
  return lines
    .slice(rule + 1)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(/\s+/));
}
