import test from 'ava';
import { fileOf, nodeIgnition, text } from '../../support/node-ignition.js';

const updated = await nodeIgnition('update');
const plain = await nodeIgnition('talk');

test("with updates: every node's engine gets the boot server's channels, the lab's release key and the channel", (t) => {
  for (const node of updated.lab.nodes) {
    const ign = updated.render(node.name);
    t.is(text(ign, '/etc/labos/update.conf'), `SERVER=http://${updated.lab.bootServer.address}:${updated.lab.bootServer.port}/assets\n`);
    t.is(text(ign, '/etc/labos/release.pub'), updated.pki.release.publicPem);
    t.regex(updated.pki.release.publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
    t.is(text(ign, '/etc/flatcar/update.conf'), `GROUP=${updated.lab.updates!.channel}\n`);
    t.is(fileOf(ign, '/etc/labos/release.pub')!.mode, 0o644);
  }
});

test('without updates: the engine is left without a server, so it stays idle', (t) => {
  const ign = plain.render('node1');
  t.is(fileOf(ign, '/etc/labos/update.conf'), undefined);
  t.is(fileOf(ign, '/etc/flatcar/update.conf'), undefined);
});
