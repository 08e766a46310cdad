import test from 'ava';
import { LabError } from '../../../src/errors.js';
import { qemuArgs } from '../../../src/qemu/direct-boot.js';

test('host forwards bind to loopback only and a malformed MAC is refused', (t) => {
  const base = { kernel: 'k', initrd: 'i', append: '', accel: 'tcg' as const, consoleLog: 'c', untilMarker: 'm', timeoutMs: 1 };
  const args = qemuArgs({ ...base, net: { hostForwards: [{ hostPort: 2222, guestPort: 22 }, { hostPort: 5353, guestPort: 53, protocol: 'udp' }] } });
  t.is(args[args.indexOf('-netdev') + 1], 'user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:127.0.0.1:5353-:53');
  const err = t.throws(() => qemuArgs({ ...base, net: { mac: '52-54-00-a1-9c-ae' } }));
  t.true(err instanceof LabError);
});
