import type { IgnFile, IgnUnit } from './ignition-files.js';
import { renderWatchdog } from './watchdog.js';

/**
 * QEMU 7.x's virtio-net can stop serving a NIC's transmit ring for good (fedora-coreos-tracker#1463,
 * seen here on TCG controllers under pivot load): the guest posted buffers QEMU never took (in
 * lab ha run 7, avail 49360 against QEMU's 49122, its notification armed at 49122), so the guest
 * waits on a full ring for an answer that never comes, and the node is cut off. Taking the link
 * down and up does not help (the ring stays as it is); a device reset does: this loop unbinds the
 * NIC from its driver and binds it again, which resets the virtio device and its rings. The
 * interface comes back under the same name, networkd configures it again, and the pod network
 * add-on puts back its routes on the next Node event.
 * Two or more timeouts in one interval mean the queue was stuck all along, not slow once.
 * SYSFS_NET and STATE_DIR are there for the tests.
 */
export const NIC_WATCHDOG_SCRIPT = `#!/bin/sh
set -u
net=\${SYSFS_NET:-/sys/class/net}
state=\${STATE_DIR:-$RUNTIME_DIRECTORY}
interval=\${INTERVAL:-10}
while sleep "$interval"; do
  # Only NICs on a bus: bridges, veths and the loopback have no device and no such fault.
  for dev in "$net"/*; do
    [ -e "$dev/device" ] || continue
    name=\${dev##*/}
    now=0
    for count in "$dev"/queues/tx-*/tx_timeout; do now=$((now + $(cat "$count"))); done
    last=$(cat "$state/$name" 2>/dev/null || echo "$now")
    echo "$now" > "$state/$name"
    if [ $((now - last)) -ge 2 ]; then
      device=$(readlink -f "$dev/device")
      driver=$(readlink -f "$dev/device/driver")
      echo "metal-lab: $name: transmit queue stuck ($((now - last)) timeouts in $interval s), resetting \${device##*/} (unbind, bind \${driver##*/})"
      echo "\${device##*/}" > "$driver/unbind"
      echo "\${device##*/}" > "$driver/bind"
    fi
  done
done
`;

/** Every node runs it: the fault is the hypervisor's, whatever the node's role or OS. */
export function renderNicWatchdog(): { files: IgnFile[]; units: IgnUnit[] } {
  return renderWatchdog({
    name: 'nic-watchdog',
    description: 'reset a NIC whose transmit queue is stuck (QEMU virtio-net)',
    script: NIC_WATCHDOG_SCRIPT,
    service: ['RuntimeDirectory=metal-lab-nic-watchdog'],
  });
}
