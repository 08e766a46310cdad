import { execa } from 'execa';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { needs, program } from '../../support/needs.js';
import { talkLab, tempPkiDir } from '../../support/pki-fixture.js';

// One PKI for the whole file, as in test/unit/pki/ensure.issue.test.ts.
const lab = await talkLab();
const dir = await tempPkiDir();
await ensureLabPki(lab, { dir });

needs(program('openssl', 'openssl'))('chains verify with openssl for the purpose each certificate serves, and fail for the others', async (t) => {
  const verifyWith = (ca: string, purpose: string, names: string[]) =>
    execa('openssl', ['verify', '-CAfile', `${dir}/${ca}.crt`, '-purpose', purpose, ...names.map((n) => `${dir}/${n}.crt`)], {
      reject: false,
    });
  const controllers = ['node1', 'node2', 'node3'];
  const kubelets = lab.nodes.map((node) => `kubelet/${node.name}`);
  const ok = [
    await verifyWith('ca', 'sslserver', ['apiserver']),
    await verifyWith('ca', 'sslclient', ['admin', ...kubelets]),
    await verifyWith('etcd-ca', 'sslserver', controllers.flatMap((n) => [`etcd/${n}-server`, `etcd/${n}-peer`])),
    // etcd's server certificate is a client one too: its gRPC gateway dials etcd with it.
    await verifyWith('etcd-ca', 'sslclient', [...controllers.flatMap((n) => [`etcd/${n}-server`, `etcd/${n}-peer`]), 'etcd/client']),
  ];
  for (const result of ok) {
    t.is(result.exitCode, 0, result.stderr);
    t.is(result.stdout.split('\n').filter((line) => line.endsWith(': OK')).length, result.stdout.split('\n').length);
  }
  const wrongCa = await verifyWith('ca', 'sslclient', ['etcd/client']);
  t.not(wrongCa.exitCode, 0);
  t.regex(wrongCa.stdout + wrongCa.stderr, /unable to get local issuer certificate/);
  const serverAsClient = await verifyWith('ca', 'sslclient', ['apiserver']);
  t.regex(serverAsClient.stdout + serverAsClient.stderr, /unsuitable certificate purpose/);
  const clientAsServer = await verifyWith('ca', 'sslserver', ['admin']);
  t.regex(clientAsServer.stdout + clientAsServer.stderr, /unsuitable certificate purpose/);
});
