#!/bin/sh
# metal-lab installer: run by the live agent when the kernel command line has metal.install=DISK.
# Writes the labos root filesystem (an ext4 image served under /assets) over the whole disk,
# makes it bootable with extlinux (a filesystem on the whole disk: SeaBIOS loads extlinux's boot
# sector from sector 0) with the kernel command line the boot server gives for the installed
# system (its Ignition config URL carries os=installed), reports, and reboots. The VM then boots
# from disk (boot order disk, network), so a node installs exactly once.
# Usage: install.sh SERVER MAC DISK

SERVER=$1
MAC=$2
DISK=$3
TARGET=/mnt/root
say() { echo "metal-lab: $*"; }
fail() {
  say "install failed: $*"
  exit 1
}

say "installing to $DISK"
# Any old boot sector or filesystem must not survive a partial write.
dd if=/dev/zero of="$DISK" bs=1M count=1 2>/dev/null || fail "cannot write $DISK"
wget -q -O - "$SERVER/assets/labos-disk/root.ext4" | dd of="$DISK" bs=1M 2>/dev/null || fail "writing the root filesystem"
sync
mkdir -p "$TARGET"
mount -t ext4 "$DISK" "$TARGET" || fail "cannot mount $DISK"
for fs in dev proc sys; do mount --bind "/$fs" "$TARGET/$fs"; done

KERNEL=$(cd "$TARGET/boot" && ls vmlinuz-* | head -n 1)
INITRD=$(cd "$TARGET/boot" && ls initrd.img-* | head -n 1)
[ -n "$KERNEL" ] && [ -n "$INITRD" ] || fail "no kernel or initrd in the image's /boot"
# The installed system's kernel command line is the installed group's generic template: the
# boot server says what the node boots with, as it says everything else.
ARGS=$(wget -q -O - "$SERVER/generic?mac=$MAC&os=installed") || fail "fetching the kernel command line"
mkdir -p "$TARGET/boot/extlinux"
cat >"$TARGET/boot/extlinux/extlinux.conf" <<CONF
DEFAULT labos
PROMPT 0
TIMEOUT 0
SERIAL 0 115200
LABEL labos
  KERNEL /boot/$KERNEL
  INITRD /boot/$INITRD
  APPEND $ARGS
CONF
chroot "$TARGET" extlinux --install /boot/extlinux >/dev/null || fail "extlinux --install"
for fs in sys proc dev; do umount "$TARGET/$fs"; done
umount "$TARGET"
sync

wget -q -O /dev/null "$SERVER/lab/event?mac=$MAC&stage=installed-to-disk" || say "install callback failed"
say "installed, rebooting"
reboot -f
