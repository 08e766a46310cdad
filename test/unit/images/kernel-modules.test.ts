import test from 'ava';
import { configValue, loadOrder } from '../../../src/images/kernel-modules.js';

// Lines as busybox depmod writes them for the Debian cloud kernel; the order within a line
// (virtio before virtio_ring) is NOT a valid load order, which loadOrder must not rely on.
const modulesDep = `kernel/drivers/net/virtio_net.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/net/core/failover.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/fs/some-dashed_name.ko:
`;

test('every module comes after all of its dependencies, each once', (t) => {
  const order = loadOrder(modulesDep, ['virtio_pci', 'virtio_net']);
  t.deepEqual(order, [
    'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
    'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
    'kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/virtio/virtio_pci.ko',
    'kernel/net/core/failover.ko',
    'kernel/drivers/net/net_failover.ko',
    'kernel/drivers/net/virtio_net.ko',
  ]);
});

test('module names match with dashes or underscores', (t) => {
  t.deepEqual(loadOrder(modulesDep, ['some_dashed-name']), ['kernel/fs/some-dashed_name.ko']);
});

test('a module missing from modules.dep names the module that needed it', (t) => {
  const err = t.throws(() => loadOrder('a.ko: b.ko\n', ['a']));
  t.regex(err.message, /module b is not in modules.dep \(needed by a\)/);
});

test('a dependency cycle is reported, not followed forever', (t) => {
  const err = t.throws(() => loadOrder('a.ko: b.ko\nb.ko: a.ko\n', ['a']));
  t.regex(err.message, /cycle: a -> b -> a/);
});

test('configValue tells built-in from module from absent', (t) => {
  const config = 'CONFIG_VIRTIO_NET=m\nCONFIG_PACKET=y\n# CONFIG_FOO is not set\nCONFIG_VIRTIO_NET_X=y\n';
  t.is(configValue(config, 'CONFIG_VIRTIO_NET'), 'm');
  t.is(configValue(config, 'CONFIG_PACKET'), 'y');
  t.is(configValue(config, 'CONFIG_FOO'), undefined);
  t.is(configValue(config, 'CONFIG_VIRTIO'), undefined);
});
