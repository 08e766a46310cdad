import { HostError } from '../../../src/errors.js';
import { showPackage } from '../../../src/images/apt.js';
import { needs, program } from '../../support/needs.js';

needs(program('apt-cache', 'apt'))('an unknown package is a HostError whose fix is apt-get update', async (t) => {
  const err = await t.throwsAsync(showPackage('metal-lab-no-such-package'));
  t.true(err instanceof HostError);
  t.regex((err as HostError).fix, /apt-get update/);
});
