import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { needs, program } from '../../support/needs.js';
import { renderCases, type SchemaKind } from '../../support/render-cases.js';
import { tempDir } from '../../support/temp-dir.js';

// virt-xml-validate runs xmllint over the RelaxNG schemas libvirt installs.
const test = needs(program('virt-xml-validate', 'libvirt-clients'), program('xmllint', 'libxml2-utils'));

/** Runs libvirt's own validator (virt-xml-validate over the installed RelaxNG schemas). */
async function validate(dir: string, name: string, xml: string, schema: SchemaKind) {
  const file = path.join(dir, name);
  await fs.writeFile(file, xml);
  // virt-xml-validate names the pool schema "storagepool".
  const r = await execa('virt-xml-validate', [file, schema === 'pool' ? 'storagepool' : schema], { reject: false });
  return { ok: r.exitCode === 0, out: `${r.stdout}\n${r.stderr}` };
}

for (const c of renderCases()) {
  test(`${c.golden} validates against libvirt's ${c.schema} schema`, async (t) => {
    const r = await validate(await tempDir(t, 'ml-render-'), c.golden, c.xml, c.schema);
    t.true(r.ok, r.out);
  });
}

test('the validator rejects what libvirt would reject', async (t) => {
  // Proves the check above is not vacuous: a domain without its mandatory <name> must fail.
  const domain = renderCases().find((c) => c.schema === 'domain');
  if (!domain) throw new Error('no domain case');
  const broken = domain.xml.replace(/<name>[^<]*<\/name>/, '');
  t.not(broken, domain.xml);
  const r = await validate(await tempDir(t, 'ml-render-'), 'broken.xml', broken, 'domain');
  t.false(r.ok, r.out);
});
