import './unreachable-libvirtd.js';
import { HostError } from '../../../src/errors.js';
import { checkLibvirtd, checkVirtlogd } from '../../../src/preflight/daemons.js';
import { needs, virsh, virtlogd } from '../../support/needs.js';

needs(virsh)('an unreachable libvirtd is a HostError naming the URI, with the start command as fix', async (t) => {
  const err = await t.throwsAsync(checkLibvirtd(), { instanceOf: HostError });
  t.regex(err.message, /^libvirtd is unreachable at qemu:\/\/\/system\?socket=\/nonexistent\/libvirt-sock: .+/);
  t.is(err.fix, 'start them: virtlogd -d; libvirtd -d (or run ./metal-lab setup)');
  t.is(err.exitCode, 2);
});

// The host's own daemon: .ci/run and `./metal-lab setup` start it.
needs(virtlogd)('the host virtlogd (started by ./metal-lab setup) is reachable', async (t) => {
  await t.notThrowsAsync(checkVirtlogd());
});
