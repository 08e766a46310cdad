/**
 * The bodies Matchbox v0.7 renders: the iPXE chain script, the iPXE boot script and GRUB config
 * from a profile's `boot`, the template data of a matched group, and the /metadata env file.
 */
import { compareGoStrings, formatValue } from './gofmt.js';
import type { LoadedGroup } from './store.js';
import { stringMaps } from './template/index.js';
import type { NetBoot } from './types.js';

/** /boot.ipxe: makes iPXE fill in its own facts and chain to /ipxe. */
export const IPXE_BOOTSTRAP =
  '#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}\n';

/** /ipxe: one `initrd` line per initrd, as Matchbox's template renders it. */
export function ipxeScript(boot: NetBoot): string {
  let out = `#!ipxe\nkernel ${boot.kernel}`;
  for (const arg of boot.args ?? []) out += ` ${arg}`;
  for (const initrd of boot.initrd ?? []) out += `\ninitrd ${initrd}`;
  return `${out}\nboot\n`;
}

/** /grub: an EFI and a BIOS menu entry with the same kernel, args and initrds. */
export function grubConfig(boot: NetBoot): string {
  const args = (boot.args ?? []).map((a) => ` ${a}`).join('');
  const initrds = (boot.initrd ?? []).map((i) => ` "${i}"`).join('');
  const entry = (title: string, linux: string, initrd: string) =>
    `menuentry "${title}" {\necho "Loading kernel"\n${linux} "${boot.kernel}"${args}\necho "Loading initrd"\n${initrd} ${initrds}\n}\n`;
  return `default=0\nfallback=1\ntimeout=1\n${entry('CoreOS (EFI)', 'linuxefi', 'initrdefi')}${entry('CoreOS (BIOS)', 'linux', 'initrd')}`;
}

/**
 * Matchbox's collectVariables: group metadata, then selectors (keys lowercased) over it, then
 * the reserved `request` = {query: labels, raw_query}.
 */
export function templateData(group: LoadedGroup, labels: Record<string, string>, rawQuery: string): Record<string, unknown> {
  // Null prototype: metadata keys such as "__proto__" stay plain keys.
  const data: Record<string, unknown> = Object.create(null);
  if (group.metadata) for (const key of Object.keys(group.metadata)) data[key] = group.metadata[key];
  for (const key of Object.keys(group.selector)) data[key.toLowerCase()] = group.selector[key];
  stringMaps.add(labels);
  const request: Record<string, unknown> = Object.create(null);
  request.query = labels;
  request.raw_query = rawQuery;
  data.request = request;
  return data;
}

/** Go's strings.ToUpper maps rune by rune and never lengthens one (ß stays ß). */
function goUpper(s: string): string {
  const up = s.toUpperCase();
  if (up.length === s.length) return up;
  return Array.from(s, (c) => {
    const u = c.toUpperCase();
    return u.length === c.length ? u : c;
  }).join('');
}

/**
 * /metadata: `KEY=value` lines for strings, numbers and booleans, nested maps flattened with `_`;
 * lists and nulls are left out, as Matchbox does. Matchbox walks Go maps (random order); the lab
 * sorts keys at each level so the output is stable.
 */
export function envFile(data: Record<string, unknown>, prefix = ''): string {
  let out = '';
  for (const key of Object.keys(data).sort(compareGoStrings)) {
    const value = data[key];
    const name = prefix + key;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out += `${goUpper(name)}=${formatValue(value)}\n`;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out += envFile(value as Record<string, unknown>, `${name}_`);
    }
  }
  return out;
}
