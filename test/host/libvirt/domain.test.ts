import { LabError } from '../../../src/errors.js';
import { pullPlug } from '../../../src/libvirt/domain.js';
import { libvirtd, needs, virsh } from '../../support/needs.js';

// Read-only: a domain no lab has is looked up (virsh list --all), and nothing is destroyed.
needs(virsh, libvirtd)('pulling the plug of a VM that is not there fails, and says so', async (t) => {
  const err = await t.throwsAsync(pullPlug('ml-no-such-lab-node9'), { instanceOf: LabError });
  t.is(err.line(), 'there is no VM ml-no-such-lab-node9 to power off. Fix: bring the lab up before this step (an up step)');
});
