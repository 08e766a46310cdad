#!/usr/bin/env bash
# A workshop laptop with no network, for test/nightly/bundle.test.ts: a fresh clone loads the
# bundle, apt proves the bundle's packages install on an empty system, then setup and the
# pxe-boot scenario run. Started as root under `unshare --net --mount`: loopback only, and its
# own virtlogd and libvirtd over private (tmpfs) copies of libvirt's state and sockets, so
# nothing here reaches the host's daemon, its labs or the outside.
# Environment: CLONE BUNDLE CACHE ARTIFACTS, BUNDLE_APT_OPTS and PACKAGES for the apt check.
set -euo pipefail
ip link set lo up
if [ -n "$(ip -4 route show default)" ]; then echo "offline-room: this namespace has a default route" >&2; exit 1; fi
mount --make-rprivate /
for d in /run/libvirt /etc/libvirt/qemu /etc/libvirt/storage /etc/libvirt/nwfilter /var/lib/libvirt/qemu /var/lib/libvirt/dnsmasq; do
  mkdir -p "$d"
  mount -t tmpfs tmpfs "$d"
done
# Own pid files: the host's daemons hold /run/virtlogd.pid and /run/libvirtd.pid.
virtlogd -d --pid-file /run/libvirt/offline-virtlogd.pid
libvirtd -d --pid-file /run/libvirt/offline-libvirtd.pid
stop_daemons() {
  for p in /run/libvirt/offline-libvirtd.pid /run/libvirt/offline-virtlogd.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
}
trap stop_daemons EXIT
export METAL_LAB_CACHE="$CACHE"
cd "$CLONE"

echo "== bundle load on a fresh clone (no node_modules, no network)"
./metal-lab bundle load "$BUNDLE"

echo "== apt: setup's packages from the bundle alone, on a system with none installed"
read -r -a opts <<<"$BUNDLE_APT_OPTS"
apt-get "${opts[@]}" -q update
# Simulated: its summary line (N newly installed) comes before the last Inst/Conf lines.
apt-get "${opts[@]}" -s -o Dir::State::status=/dev/null install --no-install-recommends $PACKAGES | grep -E '^[0-9]+ upgraded, [0-9]+ newly installed'

echo "== setup"
./metal-lab setup
echo "== run pxe-boot"
./metal-lab run pxe-boot --artifacts "$ARTIFACTS"
