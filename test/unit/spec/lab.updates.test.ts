import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { checkBootMode } from '../../../src/spec/boot-mode.js';
import { parseLab } from '../../../src/spec/lab.js';

/** A Kubernetes lab with every updates field set; each case below breaks one thing in it. */
const UPDATES = `id: u1
network: { bridge: ml-u1, subnet: 10.8.0.0/24 }
kubernetes: {}
updates:
  channel: beta
  rebootWindow: { start: "Mon 14:00", length: 1h30m }
  beforeRebootAnnotations: [example.com/drained]
  afterRebootAnnotations: [example.com/healthy, flatcar-linux-update.v1.flatcar-linux.net/after-reboot-test]
nodes:
  - { name: c1, role: controller, mac: "52:54:00:00:00:01", ip: 10.8.0.10 }
`;
const FILE = 'lab/u1.yaml';

function edit(from: string, to: string): string {
  if (!UPDATES.includes(from)) throw new Error(`fixture edit: ${from} not in UPDATES`);
  return UPDATES.replace(from, to);
}

/** The fixture with its whole updates block replaced. */
const withUpdates = (block: string) => UPDATES.replace(/updates:\n( {2}.*\n)+/, block);
const window = (start: string, length: string) => edit('{ start: "Mon 14:00", length: 1h30m }', `{ start: "${start}", length: "${length}" }`);

test('the fixture loads: every field as written, the lists kept in order', (t) => {
  t.deepEqual(parseLab(UPDATES, FILE).updates, {
    channel: 'beta',
    rebootWindow: { start: 'Mon 14:00', length: '1h30m' },
    beforeRebootAnnotations: ['example.com/drained'],
    afterRebootAnnotations: ['example.com/healthy', 'flatcar-linux-update.v1.flatcar-linux.net/after-reboot-test'],
  });
});

test('updates: {} is the stable channel, no window (reboots any time) and no hooks; a lab without it has none', (t) => {
  t.deepEqual(parseLab(withUpdates('updates: {}\n'), FILE).updates, { channel: 'stable', beforeRebootAnnotations: [], afterRebootAnnotations: [] });
  t.is(parseLab(withUpdates(''), FILE).updates, undefined);
});

test('the window takes what FLUO takes: any-case weekday or none, H:MM, Go durations below the period', (t) => {
  const ok: [start: string, length: string][] = [
    ['14:00', '1h30m'], ['9:05', '90m'], ['sun 00:00', '167h59m'], ['SAT 23:59', '1.5h'], ['Wed  3:30', '.5h'],
    ['Thu 23:00', '2h45m30s'], ['00:00', '23h59m59s'], ['12:00', '300ms'], ['12:00', '1h0.5m'], ['12:00', '1000000µs'],
  ];
  for (const [start, length] of ok) t.deepEqual(parseLab(window(start, length), FILE).updates?.rebootWindow, { start, length }, `${start} / ${length}`);
});

/** The exact line the CLI prints: file, field, problem (line, col), fix. */
const cases: [title: string, text: string, line: string][] = [
  ['a reboot window without kubernetes', edit('kubernetes: {}\n', ''),
    'lab/u1.yaml: updates.rebootWindow: rebootWindow tells the update operator when to reboot, and lab u1 has no kubernetes: block to run it on (line 5, col 17). Fix: add kubernetes: {}, or remove it (nodes then install updates and wait for a reboot by hand)'],
  ['a bad day', window('Mo 14:00', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: "Mo" is not a day of the week (line 6, col 26). Fix: use Sun, Mon, Tue, Wed, Thu, Fri or Sat, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['a day spelt out', window('Monday 14:00', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: "Monday" is not a day of the week (line 6, col 26). Fix: use Sun, Mon, Tue, Wed, Thu, Fri or Sat, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['an hour past 23', window('Mon 24:00', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: "24:00" is not a time of day (line 6, col 26). Fix: write 24-hour HH:MM, 00:00 to 23:59, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['minutes past 59', window('14:60', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: "14:60" is not a time of day (line 6, col 26). Fix: write 24-hour HH:MM, 00:00 to 23:59, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['a time with am/pm', window('2pm', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: "2pm" is not a time of day (line 6, col 26). Fix: write 24-hour HH:MM, 00:00 to 23:59, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['a time zone after the time (FLUO would ignore it)', window('Mon 14:00 CET', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: "Mon 14:00 CET" is not a day and a time of day (line 6, col 26). Fix: write [day] HH:MM, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['an empty start', window(' ', '1h'),
    'lab/u1.yaml: updates.rebootWindow.start: " " is not a day and a time of day (line 6, col 26). Fix: write [day] HH:MM, e.g. "Mon 14:00" (weekly) or "14:00" (daily)'],
  ['a start that is a number', edit('start: "Mon 14:00"', 'start: 1400'),
    'lab/u1.yaml: updates.rebootWindow.start: expected a string, got number 1400 (line 6, col 26). Fix: use a day and time such as "Mon 14:00", or a time such as "14:00"'],
  ['a window without a start', edit('start: "Mon 14:00", ', ''),
    'lab/u1.yaml: updates.rebootWindow.start: is missing (line 6, col 17). Fix: add updates.rebootWindow.start: a day and time such as "Mon 14:00", or a time such as "14:00"'],
  ['a length without a unit', window('Mon 14:00', '90'),
    'lab/u1.yaml: updates.rebootWindow.length: "90" is not a duration (line 6, col 47). Fix: write it as Go does, in h, m and s, e.g. 1h30m'],
  ['a length in days', window('Mon 14:00', '1d'),
    'lab/u1.yaml: updates.rebootWindow.length: "1d" is not a duration (line 6, col 47). Fix: write it as Go does, in h, m and s, e.g. 1h30m'],
  ['a negative length', window('Mon 14:00', '-1h'),
    'lab/u1.yaml: updates.rebootWindow.length: "-1h" is not a duration (line 6, col 47). Fix: write it as Go does, in h, m and s, e.g. 1h30m'],
  ['a zero length', window('Mon 14:00', '0m'),
    'lab/u1.yaml: updates.rebootWindow.length: "0m" is no time at all, so the window would never open (line 6, col 47). Fix: use a positive length, e.g. 1h30m'],
  ["Go's bare zero", window('Mon 14:00', '0'),
    'lab/u1.yaml: updates.rebootWindow.length: "0" is no time at all, so the window would never open (line 6, col 47). Fix: use a positive length, e.g. 1h30m'],
  ['a daily window as long as a day', window('14:00', '24h'),
    'lab/u1.yaml: updates.rebootWindow.length: 24h is not shorter than the day the window repeats in (line 6, col 43). Fix: use less than 24h, or start it on a day ("Mon 14:00") to repeat weekly'],
  ['a weekly window as long as a week', window('Mon 14:00', '167h60m'),
    'lab/u1.yaml: updates.rebootWindow.length: 167h60m is not shorter than the week the window repeats in (line 6, col 47). Fix: use less than 168h, e.g. 1h30m'],
  ['a window without a length', edit(', length: 1h30m', ''),
    'lab/u1.yaml: updates.rebootWindow.length: is missing (line 6, col 17). Fix: add updates.rebootWindow.length: a duration such as 1h30m'],
  ['a misspelt window key', edit('length: 1h30m', 'lenght: 1h30m'),
    'lab/u1.yaml: updates.rebootWindow.lenght: unknown field "lenght" (line 6, col 47). Fix: did you mean "length"?'],
  ["FLUO's flag name as a key", edit('rebootWindow:', 'reboot-window:'),
    'lab/u1.yaml: updates.reboot-window: unknown field "reboot-window" (line 6, col 18). Fix: did you mean "rebootWindow"?'],
  ['an upper-case channel', edit('channel: beta', 'channel: Beta'),
    'lab/u1.yaml: updates.channel: "Beta" is not a valid update channel (line 5, col 12). Fix: use lower-case letters, digits, ".", "_" and "-", e.g. stable'],
  ['a channel that is a path', edit('channel: beta', 'channel: ../beta'),
    'lab/u1.yaml: updates.channel: "../beta" is not a valid update channel (line 5, col 12). Fix: use lower-case letters, digits, ".", "_" and "-", e.g. stable'],
  ['an annotation key with a comma (FLUO splits its flag at commas)', edit('[example.com/drained]', '["example.com/a,b"]'),
    'lab/u1.yaml: updates.beforeRebootAnnotations[0]: "example.com/a,b" is not a valid node annotation key (line 7, col 29). Fix: use [DNS subdomain/]name, e.g. example.com/drained'],
  ['an annotation key with a space', edit('example.com/healthy', '"example.com/all good"'),
    'lab/u1.yaml: updates.afterRebootAnnotations[0]: "example.com/all good" is not a valid node annotation key (line 8, col 28). Fix: use [DNS subdomain/]name, e.g. example.com/drained'],
  ['annotations as one string', edit('[example.com/drained]', 'example.com/drained'),
    'lab/u1.yaml: updates.beforeRebootAnnotations: expected a list, got string "example.com/drained" (line 7, col 28). Fix: use a list of node annotation keys such as [example.com/drained]'],
  ['an empty updates', withUpdates('updates:\n'),
    'lab/u1.yaml: updates: is empty (line 4, col 1). Fix: set it to a mapping such as { channel: stable } (or {} for the defaults)'],
];

for (const [title, text, line] of cases) {
  test(`refuses ${title}`, (t) => {
    const err = t.throws(() => parseLab(text, FILE), { instanceOf: SpecError });
    t.is(err.exitCode, 2);
    t.is(err.line(), line);
  });
}

test("a DHCP range's start still reads as an address: the window's form is by its parent", (t) => {
  const text = edit('subnet: 10.8.0.0/24 }', 'subnet: 10.8.0.0/24, dhcpRange: { end: 10.8.0.99 } }');
  t.regex(t.throws(() => parseLab(text, FILE), { instanceOf: SpecError }).fix, /^add network\.dhcpRange\.start: an IPv4 address in the subnet$/);
});

test('a lab with updates comes up installed only: the boot-mode check refuses live before anything runs', (t) => {
  const lab = parseLab(UPDATES, FILE);
  const err = t.throws(() => checkBootMode(lab, 'live'), { instanceOf: SpecError });
  t.is(err.line(), "lab/u1.yaml: kubernetes: lab u1 runs Kubernetes, which needs labos installed on the nodes' disks. Fix: bring it up with --boot install (or a scenario step `up: { boot: install }`)");
  t.notThrows(() => checkBootMode(lab, 'install'));

  // Without Kubernetes the nodes still update themselves A/B, from their disks.
  const alone = parseLab(withUpdates('updates: { channel: beta }\n').replace('kubernetes: {}\n', ''), FILE);
  t.deepEqual(alone.updates, { channel: 'beta', beforeRebootAnnotations: [], afterRebootAnnotations: [] });
  t.is(t.throws(() => checkBootMode(alone, 'live'), { instanceOf: SpecError }).line(),
    "lab/u1.yaml: updates: lab u1 updates its nodes A/B, which needs labos installed on the nodes' disks. Fix: bring it up with --boot install (or a scenario step `up: { boot: install }`)");
  t.notThrows(() => checkBootMode(alone, 'install'));
});
