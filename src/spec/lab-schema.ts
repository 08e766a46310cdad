import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { DEFAULT_KUBE_VERSION } from '../ground/cluster.js';
import { isIPv4, Subnet } from '../ground/ipv4.js';
import { parseMac } from './mac.js';
import { LAB_ID } from '../ground/lab-spec.js';
import { windowLengthProblem, windowStartProblem } from './reboot-window.js';
import { wholeNumber } from './whole-number.js';

/**
 * The shape of a lab file: types, formats, ranges, defaults, no unknown keys. Rules that relate
 * fields to each other (IPs inside the subnet, no duplicates) live in lab-rules.ts.
 */

type Bad = { problem: string; fix: string } | undefined;

/** A custom issue carries its own fix in `params`, so lab-issues.ts can print it as is. */
function report(ctx: z.RefinementCtx, bad: NonNullable<Bad>): void {
  ctx.addIssue({ code: 'custom', message: bad.problem, params: { fix: bad.fix } });
}

function checked(check: (value: string) => Bad) {
  return z.string().superRefine((value, ctx) => {
    const bad = check(value);
    if (bad) report(ctx, bad);
  });
}

function named(re: RegExp, what: string, rule: string) {
  return checked((v) => (re.test(v) ? undefined : { problem: `"${v}" is not a valid ${what}`, fix: `use ${rule}` }));
}

/** A release tag such as v1.20.2. */
const KUBE_VERSION_RE = /^v1\.\d+\.\d+$/;
// Linux caps interface names at 15 bytes (IFNAMSIZ - 1), and "." and ".." are its directories' own.
const BRIDGE_RE = /^(?!\.\.?$)[a-zA-Z0-9_.-]{1,15}$/;
const NODE_RE = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
const HOST_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`);
// Flatcar's channel names (stable, beta, alpha, lts-2023...): a path segment of the release server.
const CHANNEL_RE = /^[a-z0-9][a-z0-9._-]*$/;
/** A Kubernetes annotation key, [DNS subdomain/]name: FLUO joins hook keys with commas into one flag. */
const ANNOTATION_RE = new RegExp(`^(${LABEL}(\\.${LABEL})*/)?(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`);

const labId = named(LAB_ID, 'lab id', 'a lower-case letter then up to 15 of a-z, 0-9 and "-", e.g. mini');
const bridgeName = named(BRIDGE_RE, 'bridge name', '1-15 characters of a-z, A-Z, 0-9, "_", "." and "-" (not "." or ".."), e.g. ml-mini0');
const nodeName = named(NODE_RE, 'node name', 'a DNS label: lower-case letters, digits and "-", e.g. node1');
const hostName = named(HOST_RE, 'DNS name', 'lower-case DNS labels joined by dots, e.g. cluster.example.com');
const channel = named(CHANNEL_RE, 'update channel', 'lower-case letters, digits, ".", "_" and "-", e.g. stable');
const annotationKey = named(ANNOTATION_RE, 'node annotation key', '[DNS subdomain/]name, e.g. example.com/drained');

const ipv4 = checked((v) =>
  isIPv4(v) ? undefined : { problem: `"${v}" is not an IPv4 address`, fix: 'write four decimal octets, e.g. 172.19.0.21' },
);

const mac = z.string().transform((text, ctx) => {
  const r = parseMac(text);
  if ('mac' in r) return r.mac;
  report(ctx, r);
  return z.NEVER;
});

/** Address kinds a lab network cannot sit on: the host could not route them to a bridge. */
const UNUSABLE_RANGES = new Set(['unspecified', 'loopback', 'linkLocal', 'multicast', 'reserved', 'broadcast']);

const subnet = z.string().transform((text, ctx) => {
  const example = 'e.g. 172.19.0.0/24';
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) {
    report(ctx, { problem: `"${text}" is not an IPv4 CIDR`, fix: `write network/prefix, ${example}` });
    return z.NEVER;
  }
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (prefix < 16 || prefix > 29) {
    report(ctx, { problem: `prefix /${prefix} is out of range`, fix: `use a prefix from /16 to /29, ${example}` });
  } else if (addr.toString() !== network) {
    report(ctx, { problem: `${text} has host bits set`, fix: `write the network address: ${network}/${prefix}` });
  } else if (UNUSABLE_RANGES.has(addr.range())) {
    report(ctx, { problem: `${text} is a ${addr.range()} range`, fix: `use a private range, ${example}` });
  } else {
    return new Subnet(network, prefix);
  }
  return z.NEVER;
});

/**
 * What the update operator does with nodes that installed an update: FLUO's operator flags, and
 * the channel the nodes follow (Flatcar's GROUP).
 */
const updates = z.strictObject({
  channel: channel.default('stable'),
  rebootWindow: z.strictObject({ start: checked(windowStartProblem), length: checked(windowLengthProblem) }).optional(),
  beforeRebootAnnotations: z.array(annotationKey).default([]),
  afterRebootAnnotations: z.array(annotationKey).default([]),
});

/**
 * `up` builds Kubernetes from Debian's source package, so the version a lab runs is the one that
 * builds: any other would be found only after a build of a quarter of an hour.
 */
const kubeVersion = checked((v) => {
  if (!KUBE_VERSION_RE.test(v)) return { problem: `"${v}" is not a valid Kubernetes version`, fix: 'use v1.<minor>.<patch>, e.g. v1.20.2' };
  if (v !== DEFAULT_KUBE_VERSION) {
    return { problem: `${v} is not the version metal-lab builds: Kubernetes comes from Debian's source package, which is ${DEFAULT_KUBE_VERSION}`, fix: `set version: ${DEFAULT_KUBE_VERSION}, or leave version out` };
  }
  return undefined;
});

/**
 * The boot server's port on the bridge address: 80 (HTTP's own), or a port from 1024 up. Below
 * that listen the host's services (SSH on 22), and on 53 the lab's own dnsmasq answers DNS there.
 */
const bootServerPort = wholeNumber(1, 65535)
  .superRefine((port, ctx) => {
    if (port === 80 || port >= 1024) return;
    const problem = port === 53 ? "53 is DNS, which the lab's own dnsmasq answers on the bridge address" : `${port} is a well-known port, where the host's own services listen (SSH on 22)`;
    report(ctx, { problem, fix: 'use 8080 (the default), 80, or a port from 1024 up' });
  });

const memory = wholeNumber(128, 1_048_576);
const vcpus = wholeNumber(1, 64);
const disk = wholeNumber(1, 16_384);
const firmware = z.enum(['bios', 'uefi']);

/** What a node may set itself; anything it leaves out comes from `defaults`. */
const nodeOverrides = z.strictObject({ memory, vcpus, disk, firmware }).partial();

export const LabFileSchema = z.strictObject({
  id: labId,
  accelerator: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  network: z.strictObject({
    bridge: bridgeName,
    subnet,
    domain: hostName.default('example.com'),
    nat: z.boolean().default(false),
    dhcpRange: z.strictObject({ start: ipv4, end: ipv4 }).optional(),
  }),
  bootServer: z
    .strictObject({ address: ipv4.optional(), port: bootServerPort.default(8080), strict: z.boolean().optional() })
    .prefault({}),
  dns: z.record(hostName, ipv4).default({}),
  kubernetes: z.strictObject({ version: kubeVersion.optional(), apiName: hostName.optional() }).optional(),
  updates: updates.optional(),
  defaults: z
    .strictObject({
      memory: memory.default(512),
      vcpus: vcpus.default(1),
      disk: disk.default(10),
      firmware: firmware.default('bios'),
    })
    .prefault({}),
  nodes: z
    .array(nodeOverrides.extend({ name: nodeName, role: z.enum(['controller', 'worker']), mac, ip: ipv4 }))
    .min(1),
});

export type LabFile = z.output<typeof LabFileSchema>;

/**
 * What each field holds, by its key (or `parent.key` where a key means two things): the fix for a
 * missing or mistyped value names it.
 */
export const FIELD_FORMS: Record<string, string> = {
  id: 'a short name such as mini',
  accelerator: 'auto, kvm or tcg',
  network: 'a mapping with bridge and subnet',
  bridge: 'a bridge name such as ml-mini0',
  subnet: 'an IPv4 CIDR such as 172.19.0.0/24',
  domain: 'a DNS domain such as example.com',
  nat: 'true or false',
  dhcpRange: 'a mapping { start, end } of two addresses in the subnet',
  start: 'an IPv4 address in the subnet',
  end: 'an IPv4 address in the subnet',
  bootServer: 'a mapping such as { port: 8080 }',
  address: "the gateway address (the subnet's first host)",
  port: 'a TCP port such as 8080',
  strict: 'true (each node alone reads its Ignition config and metadata) or false',
  dns: 'a mapping of DNS names to IPv4 addresses',
  kubernetes: 'a mapping such as { version: v1.20.2, apiName: cluster.example.com } (or {} for the defaults)',
  apiName: 'a DNS name such as cluster.example.com',
  version: 'a Kubernetes release such as v1.20.2',
  defaults: 'a mapping such as { memory: 512, vcpus: 1, disk: 10, firmware: bios }',
  nodes: 'a list of nodes, each { name, role, mac, ip }',
  name: 'a node name such as node1',
  role: 'controller or worker',
  mac: 'a quoted MAC such as "52:54:00:a1:9c:ae"',
  ip: 'an IPv4 address in the subnet, outside the DHCP range',
  memory: 'memory in MiB, such as 512',
  vcpus: 'a vCPU count such as 1',
  disk: 'disk size in GiB, such as 10',
  firmware: 'bios or uefi',
  updates: 'a mapping such as { channel: stable } (or {} for the defaults)',
  channel: 'an update channel such as stable',
  rebootWindow: 'a mapping such as { start: "Mon 14:00", length: 1h30m }',
  'rebootWindow.start': 'a day and time such as "Mon 14:00", or a time such as "14:00"',
  length: 'a duration such as 1h30m',
  beforeRebootAnnotations: 'a list of node annotation keys such as [example.com/drained]',
  afterRebootAnnotations: 'a list of node annotation keys such as [example.com/healthy]',
};
