/** Text for HTML content and attribute values: every character that could open markup, escaped. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A relative link to a file in the artifacts dir (`console/node1.log`): each segment
 * percent-encoded, so a name with `#`, `?` or spaces still opens that file.
 */
export function fileHref(relPath: string): string {
  return relPath.split('/').map(encodeURIComponent).join('/');
}
