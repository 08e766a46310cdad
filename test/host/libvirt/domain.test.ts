import { LabError } from '../../../src/errors.js';
import { pullPlug, startDomain } from '../../../src/libvirt/domain.js';
import { CommandError } from '../../../src/toolkit/command-error.js';
import { libvirtd, needs, virsh } from '../../support/needs.js';

// Read-only: a domain no lab has is looked up (virsh list --all), and nothing is destroyed.
needs(virsh, libvirtd)('pulling the plug of a VM that is not there fails, and says so', async (t) => {
  const err = await t.throwsAsync(pullPlug('ml-no-such-lab-node9'), { instanceOf: LabError });
  t.is(err.line(), 'there is no VM ml-no-such-lab-node9 to power off. Fix: bring the lab up before this step (an up step)');
});

needs(virsh, libvirtd)("starting a VM that is not there fails with virsh's own words", async (t) => {
  const err = await t.throwsAsync(startDomain('ml-no-such-lab-node9'), { instanceOf: CommandError });
  t.regex(err.message, /failed to get domain 'ml-no-such-lab-node9'/);
});
