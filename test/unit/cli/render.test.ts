import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tempDir } from '../../support/bootkube-fixture.js';
import { metalLab } from '../../support/run-cli.js';

const cli = (home: string, args: string[]) => metalLab(['render', ...args], { METAL_LAB_HOME: home });

test('render mini writes the asset dir and prints its file count; a non-empty --out is one line, exit 2', async (t) => {
  const home = await tempDir();
  const out = path.join(home, 'assets');
  const r = await cli(home, ['mini', '--out', out]);
  t.is(r.exitCode, 0, r.stderr);
  const files = (await fs.readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  t.is(r.stderr, `metal-lab: wrote ${files.length} files for lab mini (Kubernetes v1.20.2) to ${out}`);
  t.true(files.length > 40);
  t.false(files.some((f) => f.parentPath.includes('update-operator')), 'mini has no updates: block');
  t.regex(await fs.readFile(path.join(out, 'bootstrap-manifests/bootstrap-apiserver.yaml'), 'utf8'), /--advertise-address=172\.19\.0\.21/);
  // The lab's PKI was made where `up` keeps it, and the render used it.
  t.is(await fs.readFile(path.join(out, 'tls/ca.crt'), 'utf8'), await fs.readFile(path.join(home, 'labs/mini/pki/ca.crt'), 'utf8'));

  const again = await cli(home, ['mini', '--out', out]);
  t.is(again.exitCode, 2);
  t.is(again.stderr, `metal-lab: ${out} is not empty. Fix: pass a new or empty dir, or remove ${out} first`);
});

test('render --kube-version tags the images; a malformed version fails before any PKI is made', async (t) => {
  const home = await tempDir();
  const out = path.join(home, 'assets');
  const bad = await cli(home, ['mini', '--out', out, '--kube-version', '1.20']);
  t.is(bad.exitCode, 2);
  t.is(bad.stderr, 'metal-lab: Kubernetes version "1.20" is not v1.MINOR.PATCH. Fix: pass a version such as v1.20.2');
  t.deepEqual(await fs.readdir(home), []);
  const r = await cli(home, ['mini', '--out', out, '--kube-version', 'v1.20.15']);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(await fs.readFile(path.join(out, 'manifests/30-kube-proxy-daemonset.yaml'), 'utf8'), /image: metal-lab\.local\/kube-proxy:v1\.20\.15\n/);
});

test("render of a lab with updates: writes the update operator's manifests beside bootkube's, in the dir the lab's state uses", async (t) => {
  const home = await tempDir();
  const out = path.join(home, 'assets');
  const r = await cli(home, ['update', '--out', out]);
  t.is(r.exitCode, 0, r.stderr);
  const manifests = await fs.readdir(path.join(out, 'update-operator'));
  t.is(manifests.length, 17);
  t.true(manifests.includes('30-flatcar-linux-update-agent-daemonset.yaml'));
  t.regex(await fs.readFile(path.join(out, 'update-operator/30-rollout-guard-deployment.yaml'), 'utf8'), /image: metal-lab\.local\/rollout-guard:v0\.1\.0\n/);
  t.regex(await fs.readFile(path.join(out, 'update-operator/30-flatcar-linux-update-operator-deployment.yaml'), 'utf8'), /image: metal-lab\.local\/flatcar-linux-update-operator:v0\.9\.0\n/);
  t.true((await fs.readdir(path.join(out, 'manifests'))).length > 10);
});

test('a lab with an even number of controllers is rendered, with a warning saying why it is no better than one fewer', async (t) => {
  const home = await tempDir();
  const file = path.join(home, 'two.yaml');
  await fs.writeFile(file, `id: two
network: { bridge: ml-two0, subnet: 10.8.0.0/24 }
kubernetes: {}
nodes:
  - { name: c1, role: controller, mac: "52:54:00:00:08:01", ip: 10.8.0.10 }
  - { name: c2, role: controller, mac: "52:54:00:00:08:02", ip: 10.8.0.11 }
`);
  const out = path.join(home, 'assets');
  const r = await cli(home, [file, '--out', out]);
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stderr.split('\n'), [
    'metal-lab: warning: lab two: 2 controllers make 2 etcd members, which need 2 for a quorum and so outlast 0 lost members, as 1 would; use 1 or 3 controllers',
    `metal-lab: wrote ${(await fs.readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length} files for lab two (Kubernetes v1.20.2) to ${out}`,
  ]);
  // Three controllers, as the talk has them: no warning.
  const talk = await cli(home, ['talk', '--out', path.join(home, 'talk')]);
  t.is(talk.exitCode, 0, talk.stderr);
  t.notRegex(talk.stderr, /warning/);
});
