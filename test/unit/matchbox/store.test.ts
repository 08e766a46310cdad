import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadStore } from '../../../src/matchbox/store.js';
import { writeFileAtomic, writeGroup, writeIgnition, writeProfile } from '../../../src/matchbox/writer.js';
import { tempFixture } from './fixture.js';

const profile = { id: 'p1', boot: { kernel: '/assets/vmlinuz' } };

async function dirWith(files: Record<string, string>): Promise<string> {
  const f = await tempFixture();
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(f.dataDir, rel)), { recursive: true });
    await fs.writeFile(path.join(f.dataDir, rel), text);
  }
  return f.dataDir;
}

const P1 = JSON.stringify(profile);

// Each bad data dir must be refused with one SpecError naming the file and the problem.
const bad: { title: string; files: Record<string, string>; file: string; message: RegExp }[] = [
  { title: 'invalid JSON', files: { 'profiles/p1.json': P1, 'groups/g.json': '{"id": "g",\n "profile": }' }, file: 'groups/g.json', message: /invalid JSON .*not valid JSON/ },
  { title: 'a group naming a missing profile', files: { 'profiles/p1.json': P1, 'groups/g.json': '{"id":"g","profile":"nope"}' }, file: 'groups/g.json', message: /profiles\/nope.json does not exist/ },
  {
    title: 'two default groups',
    files: { 'profiles/p1.json': P1, 'groups/a.json': '{"id":"a","profile":"p1"}', 'groups/b.json': '{"id":"b","profile":"p1","selector":{}}' },
    file: 'groups/b.json',
    message: /second default \(empty-selector\) group besides .*a.json/,
  },
  {
    title: 'two groups with identical selectors (after mac normalisation)',
    files: {
      'profiles/p1.json': P1,
      'groups/a.json': '{"id":"a","profile":"p1","selector":{"mac":"52:54:00:a1:9c:ae"}}',
      'groups/b.json': '{"id":"b","profile":"p1","selector":{"mac":"52-54-00-A1-9C-AE"}}',
    },
    file: 'groups/b.json',
    message: /identical to the selector of .*a.json/,
  },
  { title: 'an unparseable MAC selector', files: { 'profiles/p1.json': P1, 'groups/g.json': '{"id":"g","profile":"p1","selector":{"mac":"52:54:00"}}' }, file: 'groups/g.json', message: /selector.mac: "52:54:00" is not a MAC/ },
  { title: 'a group id that does not match its file', files: { 'profiles/p1.json': P1, 'groups/g.json': '{"id":"other","profile":"p1"}' }, file: 'groups/g.json', message: /id "other" does not match the file name/ },
  { title: 'a profile id that does not match its file', files: { 'profiles/p1.json': '{"id":"p2"}' }, file: 'profiles/p1.json', message: /does not match the file name/ },
  { title: 'a group without profile', files: { 'groups/g.json': '{"id":"g"}' }, file: 'groups/g.json', message: /profile: is missing/ },
  { title: 'a non-string selector value', files: { 'profiles/p1.json': P1, 'groups/g.json': '{"id":"g","profile":"p1","selector":{"rack":1}}' }, file: 'groups/g.json', message: /must be a string/ },
  { title: 'boot args that are not strings', files: { 'profiles/p1.json': '{"id":"p1","boot":{"kernel":"k","args":[1]}}' }, file: 'profiles/p1.json', message: /boot.args: must be a list of strings/ },
];

for (const c of bad) {
  test(`load refuses ${c.title}`, async (t) => {
    const dir = await dirWith(c.files);
    const err = await t.throwsAsync(loadStore(dir), { instanceOf: SpecError });
    t.is(err?.file, path.join(dir, c.file));
    t.regex(err!.message, c.message);
    t.is(err!.message.split('\n').length, 1, 'one line');
    t.truthy(err!.fix);
  });
}

test('load accepts Go-style case-insensitive keys, ignores non-.json and temp files', async (t) => {
  const dir = await dirWith({
    'profiles/p1.json': '{"ID":"p1","Boot":{"Kernel":"k"}}',
    'groups/g.json': '{"Id":"g","Profile":"p1","Selector":{"MAC":"52-54-00-a1-9c-ae"}}',
    'groups/README.md': 'not a group',
    'groups/.g2.json.123.abc.tmp': '{half',
  });
  const store = await loadStore(dir);
  t.deepEqual(store.groups.all().map((g) => [g.id, g.selector]), [['g', { MAC: '52:54:00:a1:9c:ae' }]]);
  t.is(store.profiles.get('p1')?.boot?.kernel, 'k');
});

test('a missing groups/ or profiles/ dir is an empty store', async (t) => {
  const store = await loadStore((await tempFixture()).dataDir);
  t.is(store.groups.all().length, 0);
});

test('writers lay out the Matchbox data dir and round-trip through the loader', async (t) => {
  const { dataDir } = await tempFixture();
  await writeProfile(dataDir, { id: 'worker', boot: { kernel: '/k', initrd: ['/i'], args: ['a=1'] }, ignition_id: 'worker.ign' });
  await writeIgnition(dataDir, 'worker.ign', { ignition: { version: '2.2.0' } });
  await writeGroup(dataDir, { id: 'node1', profile: 'worker', selector: { mac: '52:54:00:a1:9c:ae' }, metadata: { k: 'v' } });
  t.deepEqual((await fs.readdir(dataDir)).sort(), ['groups', 'ignition', 'profiles']);
  t.is(await fs.readFile(path.join(dataDir, 'ignition/worker.ign'), 'utf8'), '{"ignition":{"version":"2.2.0"}}');
  const store = await loadStore(dataDir);
  t.is(store.groups.select({ mac: '52:54:00:a1:9c:ae' })?.id, 'node1');
  t.deepEqual(store.profiles.get('worker')?.boot, { kernel: '/k', initrd: ['/i'], args: ['a=1'] });
});

test('writers refuse ids that are not one path segment, and Ignition objects under non-.ign names', async (t) => {
  const { dataDir } = await tempFixture();
  await t.throwsAsync(writeGroup(dataDir, { id: '../evil', profile: 'p' }), { instanceOf: SpecError });
  await t.throwsAsync(writeProfile(dataDir, { id: '' }), { instanceOf: SpecError });
  await t.throwsAsync(writeIgnition(dataDir, 'x.json', { ignition: {} }), { message: /does not end in .ign/ });
});

test('atomic write: a concurrent reader only ever sees a whole old or whole new file', async (t) => {
  const { dataDir } = await tempFixture();
  const file = path.join(dataDir, 'groups', 'big.json');
  const versions = ['a', 'b'].map((c) => JSON.stringify({ id: 'big', profile: 'p', metadata: { blob: c.repeat(2_000_000) } }));
  await writeFileAtomic(file, versions[0]!);
  let reads = 0;
  let done = false;
  const reader = (async () => {
    while (!done) {
      const text = await fs.readFile(file, 'utf8');
      t.true(versions.includes(text), 'torn read');
      reads++;
    }
  })();
  for (let i = 0; i < 20; i++) await writeFileAtomic(file, versions[i % 2]!);
  done = true;
  await reader;
  t.true(reads > 0);
  t.deepEqual((await fs.readdir(path.dirname(file))).filter((n) => n.endsWith('.tmp')), [], 'no temp files left');
});
