#!/bin/sh
# metal-lab installer: run by the live agent when the kernel command line has metal.install=DISK.
# Partitions the disk (one bootable partition), writes the labos root filesystem (an ext4 image
# served under /assets) into it and grows it to fill the partition, makes the disk bootable with
# syslinux's MBR and extlinux, using the kernel command line the boot server gives for the
# installed system (its Ignition config URL carries os=installed), reports, and reboots. The VM
# then boots from disk (boot order disk, network), so a node installs exactly once.
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

PART=${DISK}1
say "installing to $DISK"
# Any old boot sector or partition table must not survive a partial write.
dd if=/dev/zero of="$DISK" bs=1M count=1 2>/dev/null || fail "cannot write $DISK"
# One primary partition from 1 MiB to the end, marked bootable (busybox fdisk, answered on stdin).
printf 'o\nn\np\n1\n2048\n\na\n1\nw\n' | fdisk "$DISK" >/dev/null 2>&1
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [ -b "$PART" ] && break
  sleep 0.5
done
[ -b "$PART" ] || fail "no $PART after partitioning"
wget -q -O - "$SERVER/assets/labos-disk/root.ext4" | dd of="$PART" bs=1M 2>/dev/null || fail "writing the root filesystem"
sync
mkdir -p "$TARGET"
mount -t ext4 "$PART" "$TARGET" || fail "cannot mount $PART"
for fs in dev proc sys; do mount --bind "/$fs" "$TARGET/$fs"; done
chroot "$TARGET" resize2fs "$PART" >/dev/null 2>&1 || say "could not grow the root filesystem"

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
dd if="$TARGET/usr/lib/syslinux/mbr/mbr.bin" of="$DISK" bs=440 count=1 conv=notrunc 2>/dev/null || fail "writing the MBR"
for fs in sys proc dev; do umount "$TARGET/$fs"; done
umount "$TARGET"
sync

wget -q -O /dev/null "$SERVER/lab/event?mac=$MAC&stage=installed-to-disk" || say "install callback failed"
say "installed, rebooting"
reboot -f
