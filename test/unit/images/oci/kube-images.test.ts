import test from 'ava';
import { debianVersionTag } from '../../../../src/images/oci/kube-images.js';

test('Debian versions become valid tags', (t) => {
  t.is(debianVersionTag('1.35.0-4'), '1.35.0-4');
  t.is(debianVersionTag('1:1.35.0-4+deb12u1+b1'), '1.35.0-4_deb12u1_b1');
});
