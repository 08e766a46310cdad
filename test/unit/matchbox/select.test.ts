import test from 'ava';
import { labelsFromQuery } from '../../../src/matchbox/query.js';
import { GroupIndex, matches, selectorString } from '../../../src/matchbox/select.js';

type G = { id: string; selector: Record<string, string> };
const g = (id: string, selector: Record<string, string> = {}): G => ({ id, selector });

// Each case: the groups present, the request query, and the group Matchbox v0.7 picks (or undefined for 404).
const cases: { title: string; groups: G[]; query: string; want: string | undefined }[] = [
  { title: 'exact mac match', groups: [g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=52:54:00:a1:9c:ae', want: 'a' },
  { title: 'hexhyp mac as iPXE sends it', groups: [g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=52-54-00-a1-9c-ae', want: 'a' },
  { title: 'mac is case-insensitive', groups: [g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=52-54-00-A1-9C-AE', want: 'a' },
  { title: 'no match is a 404', groups: [g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=52:54:00:00:00:01', want: undefined },
  { title: 'extra labels are ignored', groups: [g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=52:54:00:a1:9c:ae&uuid=1&os=installed', want: 'a' },
  { title: 'a missing label fails a selector', groups: [g('a', { mac: '52:54:00:a1:9c:ae', os: 'installed' })], query: 'mac=52:54:00:a1:9c:ae', want: undefined },
  {
    title: 'more selector pairs win (install vs installed)',
    groups: [g('install', { mac: '52:54:00:a1:9c:ae' }), g('cluster', { mac: '52:54:00:a1:9c:ae', os: 'installed' })],
    query: 'mac=52:54:00:a1:9c:ae&os=installed',
    want: 'cluster',
  },
  {
    title: 'fewer pairs match when the extra label is absent',
    groups: [g('install', { mac: '52:54:00:a1:9c:ae' }), g('cluster', { mac: '52:54:00:a1:9c:ae', os: 'installed' })],
    query: 'mac=52:54:00:a1:9c:ae',
    want: 'install',
  },
  { title: 'default group catches everything', groups: [g('default'), g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'uuid=x', want: 'default' },
  { title: 'specific beats default', groups: [g('default'), g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=52:54:00:a1:9c:ae', want: 'a' },
  {
    title: 'tie on pair count goes to the greater k=v string',
    groups: [g('r-a', { region: 'a' }), g('zone-z', { zone: 'z' })],
    query: 'region=a&zone=z',
    want: 'zone-z',
  },
  {
    title: 'tie compares the whole sorted string (a=2 > a=10)',
    groups: [g('ten', { a: '10', b: 'x' }), g('two', { a: '2', b: 'x' })],
    query: 'a=10&b=x',
    want: 'ten',
  },
  {
    title: 'tie among two-pair groups, both matching',
    groups: [g('g1', { mac: '52:54:00:a1:9c:ae', os: 'installed' }), g('g2', { mac: '52:54:00:a1:9c:ae', rack: '1' })],
    query: 'mac=52:54:00:a1:9c:ae&os=installed&rack=1',
    want: 'g2',
  },
  { title: 'first of repeated labels counts', groups: [g('a', { os: 'one' }), g('b', { os: 'two' })], query: 'os=two&os=one', want: 'b' },
  { title: 'unparseable mac is dropped, default still matches', groups: [g('default'), g('a', { mac: '52:54:00:a1:9c:ae' })], query: 'mac=nonsense', want: 'default' },
  { title: 'label values compare exactly (case matters)', groups: [g('a', { os: 'installed' })], query: 'os=Installed', want: undefined },
  { title: 'label keys compare exactly', groups: [g('a', { os: 'installed' })], query: 'OS=installed', want: undefined },
  { title: 'an empty selector value matches an absent label (Go map zero value)', groups: [g('a', { os: '' })], query: 'mac=52:54:00:a1:9c:ae', want: 'a' },
  { title: 'semicolon separates pairs (Go < 1.17)', groups: [g('a', { mac: '52:54:00:a1:9c:ae', os: 'installed' })], query: 'mac=52:54:00:a1:9c:ae;os=installed', want: 'a' },
  { title: 'bad %-escape drops just that pair', groups: [g('a', { os: 'installed' })], query: 'x=%zz&os=installed', want: 'a' },
  { title: '+ decodes to a space', groups: [g('a', { name: 'my node' })], query: 'name=my+node', want: 'a' },
];

for (const c of cases) {
  test(`selection: ${c.title}`, (t) => {
    const index = new GroupIndex(c.groups);
    t.is(index.select(labelsFromQuery(c.query))?.id, c.want);
    // The index must agree with a plain scan in precedence order.
    t.is(index.all().find((x) => matches(x.selector, labelsFromQuery(c.query)))?.id, c.want);
  });
}

test('selectorString sorts k=v pairs byte-wise', (t) => {
  t.is(selectorString({ zone: 'z', a: 'b', mac: '52:54:00:a1:9c:ae' }), 'a=b,mac=52:54:00:a1:9c:ae,zone=z');
  t.is(selectorString({}), '');
});

test('precedence order over many groups is count-then-string descending', (t) => {
  const index = new GroupIndex([g('d'), g('x', { a: '1' }), g('y', { b: '1' }), g('z', { a: '1', b: '1' })]);
  t.deepEqual(
    index.all().map((x) => x.id),
    ['z', 'y', 'x', 'd'],
  );
});
