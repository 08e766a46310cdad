#!/bin/bash
# Builds the labos installed root filesystem into $1 (an empty dir). Run as root by
# labos-disk.ts, which passes the rest through the environment:
#   LABOS_MIRROR    the Debian mirror debootstrap uses (the host apt's)
#   LABOS_SOURCES   the chroot's sources.list (the host's bookworm sites)
#   LABOS_PACKAGES  what apt installs into the minbase (the kernel package among them)
#   LABOS_VERSION   the release: os-release's VERSION
#   LABOS_FILES     dir whose tree is copied over the chroot's / (our configuration)
#   LABOS_KVER_OUT  file the kernel version is written to
# Lines starting "stage: " are progress for the caller; everything else is the build log.
set -euo pipefail
root=$1
stage() { echo "stage: $*"; }

# Every chroot step runs in a private mount namespace: /proc, /sys and /dev exist for it
# and vanish with it, so no mount can outlive the build or be followed by a later rm -r.
# /dev is a private tmpfs with the few nodes package scripts use, never the host's /dev:
# udev's postinst there would chgrp the host's /dev/kvm to the chroot's kvm group id.
in_chroot() {
  unshare --mount --propagation private -- /bin/sh -ec '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount -t tmpfs -o mode=0755,nosuid dev "$root/dev"
    for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
      IFS=: read -r name major minor <<EOF
$node
EOF
      mknod -m 666 "$root/dev/$name" c "$major" "$minor"
    done
    mkdir -p "$root/dev/pts" "$root/dev/shm"
    ln -s /proc/self/fd "$root/dev/fd"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
      DEBIAN_FRONTEND=noninteractive INITRD=No "$@"
  ' sh "$root" "$@"
}

stage "debootstrap --variant=minbase bookworm from $LABOS_MIRROR"
debootstrap --variant=minbase bookworm "$root" "$LABOS_MIRROR"

stage "installing $(echo "$LABOS_PACKAGES" | wc -w) packages with apt in the chroot"
# labos's os-release replaces Debian's (its ID and VERSION label the node for Flatcar's update
# agent, and VERSION is what the update engine compares): diverted, so base-files never restores it.
in_chroot dpkg-divert --local --no-rename --divert /usr/lib/os-release.debian --add /usr/lib/os-release
# Our files go in first: dpkg then skips docs, and the dracut config is in place.
cp -r --preserve=mode "$LABOS_FILES/." "$root/"
sed -i "s/@VERSION@/$LABOS_VERSION/g" "$root/usr/lib/os-release"
printf '%s\n' "$LABOS_SOURCES" > "$root/etc/apt/sources.list"
# No daemon may start inside the build chroot.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
# debootstrap copied the host's resolver config; apt needs it until systemd-resolved replaces it.
in_chroot apt-get update -q
# shellcheck disable=SC2086 # the package list is meant to split
in_chroot apt-get install -y -q --no-install-recommends $LABOS_PACKAGES

stage "configuring: networkd DHCP, sshd, serial console, update engine, watchdog, first-boot state"
in_chroot systemctl enable systemd-networkd.service systemd-resolved.service ssh.service \
  labos-ssh-host-keys.service labos-firstboot-done.service serial-getty@ttyS0.service \
  labos-update-engine.service labos-mark-good.service
# Locked, not deleted: Ignition gives access through the users it creates.
in_chroot usermod --lock root
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
# debootstrap copied the host's name; DHCP (or Ignition) names the node instead.
rm -f "$root/etc/hostname"
# Host keys are made per node on its first boot (labos-ssh-host-keys.service), never shared.
rm -f "$root"/etc/ssh/ssh_host_*
# "uninitialized" marks the first boot (an empty file would not, see machine-id(5)): systemd
# then applies presets, which is how Ignition's `enabled: true` units get enabled.
printf 'uninitialized\n' > "$root/etc/machine-id"
# Debian builds Ignition with SELinux relabeling on: its files stage runs setfiles with the
# policy named here. There is no policy (SELinux stays off), so the file contexts are empty
# and setfiles labels nothing.
printf 'SELINUX=disabled\nSELINUXTYPE=default\n' > "$root/etc/selinux/config"
mkdir -p "$root/etc/selinux/default/contexts/files"
: > "$root/etc/selinux/default/contexts/files/file_contexts"
rm -f "$root/var/lib/dbus/machine-id"
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"

kver=$(basename "$(ls -d "$root"/lib/modules/*)")
stage "dracut: initramfs with ignition and systemd-networkd for $kver"
in_chroot dracut --force --no-hostonly --kver "$kver" "/boot/initrd.img-$kver"
echo "$kver" > "$LABOS_KVER_OUT"
# The kernel travels with its /usr (an update brings its own): the installer and the update
# engine copy these two to the slot's directory on /boot, as Flatcar's update_engine does.
mkdir -p "$root/usr/lib/labos/boot"
cp "$root/boot/vmlinuz-$kver" "$root/usr/lib/labos/boot/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$root/usr/lib/labos/boot/initrd.img"
rm -f "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$root"/vmlinuz* "$root"/initrd.img*

stage "stripping docs, man pages, locales and apt caches"
rm -f "$root/usr/sbin/policy-rc.d"
in_chroot apt-get clean
find "$root/usr/share/doc" ! -type d ! -name copyright -delete
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/man/* \
  "$root"/usr/share/info/* "$root"/usr/share/lintian "$root"/var/log/*.log \
  "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
