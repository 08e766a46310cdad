import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { renderCases, type SchemaKind } from './cases.js';

/** Runs libvirt's own validator (virt-xml-validate over the installed RelaxNG schemas). */
async function validate(dir: string, name: string, xml: string, schema: SchemaKind) {
  const file = path.join(dir, name);
  await fs.writeFile(file, xml);
  // virt-xml-validate names the pool schema "storagepool".
  const r = await execa('virt-xml-validate', [file, schema === 'pool' ? 'storagepool' : schema], { reject: false });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/xmllint: not found/.test(out)) {
    throw new Error('virt-xml-validate needs xmllint: apt-get install libxml2-utils');
  }
  return { ok: r.exitCode === 0, out };
}

async function tempDir(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-render-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

for (const c of renderCases()) {
  test(`${c.golden} validates against libvirt's ${c.schema} schema`, async (t) => {
    const r = await validate(await tempDir(t), c.golden, c.xml, c.schema);
    t.true(r.ok, r.out);
  });
}

test('the validator rejects what libvirt would reject', async (t) => {
  // Proves the check above is not vacuous: a domain without its mandatory <name> must fail.
  const domain = renderCases().find((c) => c.schema === 'domain');
  if (!domain) throw new Error('no domain case');
  const broken = domain.xml.replace(/<name>[^<]*<\/name>/, '');
  t.not(broken, domain.xml);
  const r = await validate(await tempDir(t), 'broken.xml', broken, 'domain');
  t.false(r.ok, r.out);
});
