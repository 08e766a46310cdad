import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadLab, parseLab } from '../../../src/spec/lab.js';

/** A valid lab; each case below breaks exactly one thing in it. */
const GOOD = `id: t1
network:
  bridge: ml-t1
  subnet: 10.5.0.0/24
dns:
  api.example.com: 10.5.0.10
nodes:
  - { name: n1, role: controller, mac: "52:54:00:00:00:01", ip: 10.5.0.10 }
  - { name: n2, role: worker, mac: "52:54:00:00:00:02", ip: 10.5.0.11 }
`;

const FILE = 'lab/t1.yaml';

function specError(t: import('ava').ExecutionContext, text: string): SpecError {
  const err = t.throws(() => parseLab(text, FILE), { instanceOf: SpecError });
  t.is(err.exitCode, 2);
  t.true(err.message.startsWith(`${FILE}: `), err.message);
  t.truthy(err.fix);
  t.false(err.line().includes('\n'), 'one line');
  return err;
}

/** Replaces one exact snippet of GOOD, failing loudly if the snippet is not there. */
function edit(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`fixture edit: ${from} not in GOOD`);
  return GOOD.replace(from, to);
}

const cases: [title: string, text: string, field: string, message: RegExp, fix?: RegExp][] = [
  ['unknown top-level field with a case-style near miss', `${GOOD}dhcp_range: 1\n`, 'dhcp_range', /unknown field "dhcp_range"/, /known fields here: id, accelerator/],
  ['misspelt node field suggests the closest key', edit('name: n2', 'nmae: n2'), 'nodes[1].nmae', /unknown field "nmae" \(line 9, col 13\)/, /did you mean "name"/],
  ['misspelt key inside defaults', `${GOOD}defaults: { memroy: 512 }\n`, 'defaults.memroy', /unknown field/, /did you mean "memory"/],
  ['camelCase key written in snake_case', edit('bridge: ml-t1', 'bridge: ml-t1\n  dhcp_range: {}'), 'network.dhcp_range', /unknown field/, /did you mean "dhcpRange"/],
  ['missing id', edit('id: t1\n', ''), 'id', /is missing/, /add id: a short name/],
  ['missing node mac', edit(', mac: "52:54:00:00:00:02"', ''), 'nodes[1].mac', /is missing \(line 9/, /add nodes\[1\]\.mac/],
  ['empty value', edit('subnet: 10.5.0.0/24', 'subnet:'), 'network.subnet', /is empty \(line 4, col 3\)/],
  ['no nodes', `${GOOD.split('nodes:')[0]}nodes: []\n`, 'nodes', /is empty/],
  ['wrong type', `${GOOD}defaults: { memory: 512M }\n`, 'defaults.memory', /expected a number, got string "512M"/, /MiB/],
  ['not an integer', `${GOOD}defaults: { vcpus: 1.5 }\n`, 'defaults.vcpus', /expected a whole number/],
  ['a number beyond a double', `${GOOD}defaults: { memory: 1e400 }\n`, 'defaults.memory', /expected a number, got number Infinity/],
  ['YAML\'s not-a-number', `${GOOD}defaults: { memory: .nan }\n`, 'defaults.memory', /expected a number, got number NaN/],
  ['a YAML timestamp for a name', edit('id: t1', 'id: !!timestamp 2001-01-01'), 'id', /expected a string, got a date/],
  ['YAML binary data for a name', edit('id: t1', 'id: !!binary aGVsbG8='), 'id', /expected a string, got binary data/],
  ['a list for the DNS mapping', `${GOOD.replace(/dns:\n.*\n/, '')}dns: [a]\n`, 'dns', /expected a mapping, got a list/],
  ['a number for a mapping', `${GOOD}defaults: 5\n`, 'defaults', /expected a mapping, got number 5/, /use a mapping such as \{ memory: 512/],
  ['a mapping for a list', `${GOOD.split('nodes:')[0]}nodes: { n1: {} }\n`, 'nodes', /expected a list, got a mapping/],
  ['out of range', edit('ip: 10.5.0.11 }', 'ip: 10.5.0.11, memory: 64 }'), 'nodes[1].memory', /64 is out of range/, /at least 128/],
  ['duplicate node name', edit('name: n2', 'name: n1'), 'nodes[1].name', /n1 is already used by nodes\[0\] \(n1\)/],
  ['duplicate MAC, written in another form', edit('"52:54:00:00:00:02"', '"52-54-00-00-00-01"'), 'nodes[1].mac', /52:54:00:00:00:01 is already used by nodes\[0\]/],
  ['duplicate IP', edit('ip: 10.5.0.11', 'ip: 10.5.0.10'), 'nodes[1].ip', /10\.5\.0\.10 is already used by nodes\[0\]/],
  ['multicast MAC', edit('"52:54:00:00:00:02"', '"01:00:5e:00:00:02"'), 'nodes[1].mac', /multicast MAC/, /unicast/],
  ['the all-zero MAC', edit('"52:54:00:00:00:02"', '"00-00-00-00-00-00"'), 'nodes[1].mac', /00:00:00:00:00:00 is the all-zero MAC, which no NIC has/, /52:54:00/],
  ['malformed MAC', edit('"52:54:00:00:00:02"', '"52:54:00:00:02"'), 'nodes[1].mac', /"52:54:00:00:02" is not a MAC address/, /six hex octets/],
  ['MAC with mixed separators', edit('"52:54:00:00:00:02"', '"52:54-00:00:00:02"'), 'nodes[1].mac', /is not a MAC address/],
  ['IP outside the subnet', edit('ip: 10.5.0.11', 'ip: 10.6.0.11'), 'nodes[1].ip', /outside network\.subnet 10\.5\.0\.0\/24/, /e\.g\. 10\.5\.0\.2\b/],
  ['IP on the gateway', edit('ip: 10.5.0.11', 'ip: 10.5.0.1'), 'nodes[1].ip', /is the gateway/],
  ['IP on the network address', edit('ip: 10.5.0.11', 'ip: 10.5.0.0'), 'nodes[1].ip', /network or broadcast/],
  ['IP on the broadcast address', edit('ip: 10.5.0.11', 'ip: 10.5.0.255'), 'nodes[1].ip', /network or broadcast/],
  ['IP inside the default DHCP range', edit('ip: 10.5.0.11', 'ip: 10.5.0.75'), 'nodes[1].ip', /inside the DHCP range 10\.5\.0\.50-10\.5\.0\.99/],
  ['IP inside a custom DHCP range', edit('subnet: 10.5.0.0/24', 'subnet: 10.5.0.0/24\n  dhcpRange: { start: 10.5.0.5, end: 10.5.0.10 }'), 'nodes[0].ip', /inside the DHCP range 10\.5\.0\.5-10\.5\.0\.10/],
  ['not an IPv4 address', edit('ip: 10.5.0.11', 'ip: 10.5.0'), 'nodes[1].ip', /"10\.5\.0" is not an IPv4 address/],
  ['bad role', edit('role: worker', 'role: master'), 'nodes[1].role', /"master" is not one of controller, worker/, /use controller or worker/],
  ['misspelt role', edit('role: worker', 'role: workr'), 'nodes[1].role', /"workr"/, /did you mean "worker"/],
  ['bad firmware', `${GOOD}defaults: { firmware: efi }\n`, 'defaults.firmware', /"efi" is not one of bios, uefi/],
  ['bad accelerator', `${GOOD}accelerator: hvf\n`, 'accelerator', /"hvf" is not one of auto, kvm, tcg/],
  ['bad id', edit('id: t1', 'id: Lab_1'), 'id', /"Lab_1" is not a valid lab id/, /lower-case letter/],
  ['id too long', edit('id: t1', 'id: a-very-long-lab-id'), 'id', /not a valid lab id/],
  ['bridge name too long', edit('bridge: ml-t1', 'bridge: ml-sixteen-chars'), 'network.bridge', /not a valid bridge name/, /1-15 characters/],
  ['bridge name with a slash', edit('bridge: ml-t1', 'bridge: ml/t1'), 'network.bridge', /not a valid bridge name/],
  ['subnet prefix too wide', edit('10.5.0.0/24', '10.5.0.0/8'), 'network.subnet', /prefix \/8 is out of range/, /\/16 to \/29/],
  ['subnet with host bits', edit('10.5.0.0/24', '10.5.0.7/24'), 'network.subnet', /host bits set/, /10\.5\.0\.0\/24/],
  ['loopback subnet', edit('10.5.0.0/24', '127.0.0.0/24'), 'network.subnet', /loopback range/],
  ['not a CIDR', edit('10.5.0.0/24', '10.5.0.0'), 'network.subnet', /"10\.5\.0\.0" is not an IPv4 CIDR/],
  ['boot server address other than the gateway', `${GOOD}bootServer: { address: 10.5.0.2, port: 8080 }\n`, 'bootServer.address', /not the gateway 10\.5\.0\.1/],
  ['the boot server on SSH\'s port', `${GOOD}bootServer: { port: 22 }\n`, 'bootServer.port', /22 is a well-known port, where the host's own services listen \(SSH on 22\)/, /8080 \(the default\), 80, or a port from 1024 up/],
  ['the boot server on the lab\'s own DNS port', `${GOOD}bootServer: { port: 53 }\n`, 'bootServer.port', /53 is DNS, which the lab's own dnsmasq answers on the bridge address/],
  ['a bridge named "."', edit('bridge: ml-t1', 'bridge: "."'), 'network.bridge', /"\." is not a valid bridge name/, /not "\." or "\.\."/],
  ['a bridge named ".."', edit('bridge: ml-t1', 'bridge: ".."'), 'network.bridge', /"\.\." is not a valid bridge name/],
  ['more nodes than one host runs', `${GOOD.split('nodes:')[0]}nodes:\n${Array.from({ length: 65 }, (_, i) => `  - { name: n${i}, role: worker, mac: "52:54:00:00:01:${i.toString(16).padStart(2, '0')}", ip: 10.5.0.${100 + i} }`).join('\n')}\n`,
    'nodes', /65 nodes, and a lab has at most 64: each is a VM on this one host \(line 8, col 3\)/, /use at most 64 nodes/],
  ['boot server port out of range', `${GOOD}bootServer: { port: 70000 }\n`, 'bootServer.port', /70000 is out of range/, /at most 65535/],
  ['DHCP range outside the subnet', edit('subnet: 10.5.0.0/24', 'subnet: 10.5.0.0/24\n  dhcpRange: { start: 10.5.0.100, end: 10.5.1.10 }'), 'network.dhcpRange.end', /outside network\.subnet/],
  ['DHCP range backwards', edit('subnet: 10.5.0.0/24', 'subnet: 10.5.0.0/24\n  dhcpRange: { start: 10.5.0.99, end: 10.5.0.50 }'), 'network.dhcpRange.end', /comes before start/],
  ['bad DNS name', edit('api.example.com:', 'API_server:'), 'dns.API_server', /"API_server" is not a valid DNS name/],
  ['bad DNS address', edit('api.example.com: 10.5.0.10', 'api.example.com: nowhere'), 'dns["api.example.com"]', /"nowhere" is not an IPv4 address/],
  ['DNS name that a node gets automatically', edit('api.example.com:', 'n2.example.com:'), 'dns["n2.example.com"]', /defined automatically for node n2/],
  ['YAML syntax error', edit('  - { name: n2,', '  - { name: n2,,'), '', /YAML syntax error at line 9, col \d+/],
  ['duplicate YAML key', `${GOOD}id: t2\n`, '', /YAML syntax error at line 10, col 1: Map keys must be unique/],
  ['aliases that expand without bound (a "billion laughs")', `${GOOD}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`, '',
    /its aliases expand into more than 100 copies, as a "billion laughs" attack does \(first alias \*a at line 11, col 8\)/, /write the values out/],
  ['an alias with no anchor before it', edit('ip: 10.5.0.11', 'ip: *ip'), '', /alias \*ip at line 9, col 61 has no anchor &ip before it/, /set &ip on the value it repeats/],
  ['file that is not a mapping', '- just\n- a list\n', '', /the file holds a list, not a YAML mapping/],
  ['empty file', '', '', /the file is empty, not a YAML mapping/],
];

for (const [title, text, field, message, fix] of cases) {
  test(`rejects: ${title}`, (t) => {
    const err = specError(t, text);
    t.is(err.field, field);
    t.regex(err.message, message);
    if (fix) t.regex(err.fix, fix);
  });
}

test('the base fixture itself is valid', (t) => {
  t.is(parseLab(GOOD, FILE).nodes.length, 2);
});

test('an unknown key is reported before the "missing" error it causes', (t) => {
  const err = specError(t, edit('mac: "52:54:00:00:00:02"', 'mca: "52:54:00:00:00:02"'));
  t.is(err.field, 'nodes[1].mca');
  t.regex(err.fix, /did you mean "mac"/);
});

test('loadLab names the file and the field for a bad fixture file', async (t) => {
  const err = await t.throwsAsync(loadLab('test/fixtures/labs/duplicate-mac.yaml'), { instanceOf: SpecError });
  t.is(err.field, 'nodes[2].mac');
  t.is(err.message.split(': ')[0], 'test/fixtures/labs/duplicate-mac.yaml');
  t.regex(err.message, /already used by nodes\[0\] \(node1\) \(line 14, col 10\)/);
});

test('loadLab reports a YAML syntax error in a fixture file with line and column', async (t) => {
  const err = await t.throwsAsync(loadLab('test/fixtures/labs/bad-indent.yaml'), { instanceOf: SpecError });
  t.is(err.field, '');
  t.regex(err.message, /YAML syntax error at line 5, col 1/);
});

test('loadLab of a missing file lists the shipped labs', async (t) => {
  const err = await t.throwsAsync(loadLab('nosuchlab'), { instanceOf: SpecError });
  t.is(err.exitCode, 2);
  t.regex(err.message, /no such lab file/);
  t.regex(err.fix, /mini/);
  t.regex(err.fix, /talk/);
});

test('aliases within bounds are YAML as usual', (t) => {
  const lab = parseLab(edit('api.example.com: 10.5.0.10', 'api.example.com: &ip 10.5.0.10').replace('ip: 10.5.0.10 }', 'ip: *ip }'), FILE);
  t.is(lab.nodes[0]!.ip, '10.5.0.10');
});

test('what yaml would only warn about (a mapping as a key) is not printed beside the one line', (t) => {
  const warnings: unknown[] = [];
  const emit = process.emitWarning;
  process.emitWarning = (w: string | Error) => void warnings.push(w);
  try {
    t.regex(specError(t, `${GOOD}? [a]\n: 1\n`).message, /unknown field "\[ a \]"/);
  } finally {
    process.emitWarning = emit;
  }
  t.deepEqual(warnings, []);
});

test('the boot server may listen on 80 and from 1024 up', (t) => {
  for (const port of [80, 1024, 8080, 65535]) t.is(parseLab(`${GOOD}bootServer: { port: ${port} }\n`, FILE).bootServer.port, port);
  t.regex(specError(t, `${GOOD}bootServer: { port: 1023 }\n`).message, /1023 is a well-known port/);
});
