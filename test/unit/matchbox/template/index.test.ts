import test from 'ava';
import { formatFloat } from '../../../../src/matchbox/gofmt.js';
import { parseGoMac } from '../../../../src/matchbox/mac.js';
import { compileTemplate, stringMaps } from '../../../../src/matchbox/template/index.js';

const data = {
  name: 'node1',
  count: 3,
  big: 1000000,
  ratio: 0.5,
  on: true,
  none: null,
  list: ['a', 'b'],
  nested: { inner: { value: 'deep' }, n: 2 },
  request: { query: { mac: '52:54:00:a1:9c:ae', os: 'installed' }, raw_query: 'mac=52-54-00-a1-9c-ae&os=installed' },
};

// request.query is a Go map[string]string in Matchbox (index of a missing key gives "").
stringMaps.add(data.request.query);

const render = (src: string) => compileTemplate(src).render(data);

const ok: [string, string, string][] = [
  ['field', '{{.name}}', 'node1'],
  ['nested field', '{{.nested.inner.value}}', 'deep'],
  ['request query', '{{.request.query.mac}}', '52:54:00:a1:9c:ae'],
  ['raw query', '{{.request.raw_query}}', 'mac=52-54-00-a1-9c-ae&os=installed'],
  ['float64 like Go %v', '{{.count}} {{.big}} {{.ratio}}', '3 1e+06 0.5'],
  ['bool', '{{.on}}', 'true'],
  ['nil prints <no value>', '{{.none}}', '<no value>'],
  ['slice prints like fmt', '{{.list}}', '[a b]'],
  ['map prints sorted', '{{.nested.inner}}', 'map[value:deep]'],
  ['if/else', '{{if .on}}yes{{else}}no{{end}}', 'yes'],
  ['else if', '{{if .none}}a{{else if .on}}b{{else}}c{{end}}', 'b'],
  ['range with index', '{{range $i, $v := .list}}{{$i}}:{{$v}} {{end}}', '0:a 1:b '],
  ['range over map is key-sorted', '{{range $k, $v := .request.query}}{{$k}}={{$v}};{{end}}', 'mac=52:54:00:a1:9c:ae;os=installed;'],
  ['range else', '{{range .none}}x{{else}}empty{{end}}', 'empty'],
  ['with', '{{with .nested.inner}}{{.value}}{{end}}', 'deep'],
  ['index on slice and map', '{{index .list 1}} {{index .nested "n"}}', 'b 2'],
  ['index of a missing query key is empty, not an error', '[{{index .request.query "nope"}}]', '[]'],
  ['trim markers', 'a \n {{- .name -}} \n b', 'anode1b'],
  ['comments vanish', 'x{{/* note */}}y', 'xy'],
  ['variables and pipelines', '{{$n := .name}}{{$n | printf "%s!"}}', 'node1!'],
  ['eq/ne/len/not/and/or', '{{eq .name "node1"}} {{ne .count 3.0}} {{len .list}} {{not .on}} {{and .on .name}} {{or .none .name}}', 'true false 2 false node1 node1'],
  ['lt on strings', '{{lt "a" "b"}}', 'true'],
  ['parenthesised pipeline', '{{(index .list 0)}}', 'a'],
  ['print spacing', '{{print 1 2 "x" 3}}', '1 2x3'],
];
for (const [title, src, want] of ok) test(`template: ${title}`, (t) => t.is(render(src), want));

// Matchbox renders with missingkey=error: a missing key is an error (it then answers 404).
const errors: [string, string, RegExp][] = [
  ['missing key', '{{.nope}}', /map has no entry for key "nope"/],
  ['missing key inside if', '{{if .nope}}x{{end}}', /no entry for key "nope"/],
  ['missing nested key', '{{.nested.nope}}', /no entry for key "nope"/],
  ['field of a string', '{{.name.x}}', /can't evaluate field x in type string/],
  ['field of nil', '{{.none.x}}', /nil pointer/],
  ['int vs float64 comparison', '{{eq .count 3}}', /incompatible types/],
  ['unknown function', '{{nope .name}}', /function "nope" not defined/],
  ['unclosed action', '{{.name', /unclosed action/],
  ['missing end', '{{if .on}}x', /unexpected EOF/],
  ['stray end', '{{end}}', /unexpected/],
  ['define is refused', '{{define "x"}}y{{end}}', /not supported/],
];
for (const [title, src, re] of errors) test(`template error: ${title}`, (t) => t.throws(() => render(src), { message: re }));

test('Go float formatting', (t) => {
  const cases: [number, string][] = [[0, '0'], [-0, '-0'], [1, '1'], [123456, '123456'], [1e6, '1e+06'], [1234567, '1.234567e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'], [-2.5, '-2.5'], [1e21, '1e+21']];
  for (const [v, want] of cases) t.is(formatFloat(v), want, String(v));
});

test('MAC parsing follows Go net.ParseMAC', (t) => {
  t.is(parseGoMac('52:54:00:A1:9C:AE'), '52:54:00:a1:9c:ae');
  t.is(parseGoMac('52-54-00-a1-9c-ae'), '52:54:00:a1:9c:ae');
  t.is(parseGoMac('5254.00a1.9cae'), '52:54:00:a1:9c:ae');
  t.is(parseGoMac('02:00:00:00:00:00:00:01'), '02:00:00:00:00:00:00:01');
  for (const bad of ['', 'nonsense', '52:54:00:a1:9c', '52:54:00:a1:9c:ae:', '52:54-00:a1:9c:ae', '52:54:00:a1:9c:zz', '525400a19cae']) t.is(parseGoMac(bad), undefined, bad);
});
