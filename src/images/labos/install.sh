#!/bin/sh
# metal-lab installer: run by the live agent when the kernel command line has metal.install=DISK.
# Lays the disk out as Flatcar does, with two read-only /usr slots and a stateful root:
#   1 USR-A  the labos /usr image (usr.ext4 under /assets), booted first
#   2 USR-B  empty until the update engine writes a release into it
#   3 ROOT   the labos root filesystem (root.ext4: /etc, /var, /boot), grown to fill the disk
# then installs GRUB (BIOS, MBR) with the slot selection in /usr/lib/labos/grub.cfg, copies slot
# A's kernel and initramfs to /boot/labos/A, and writes the installed system's kernel command
# line as the boot server gives it (its Ignition config URL carries os=installed). It reports and
# reboots; the VM then boots from disk (boot order disk, network), so a node installs once.
# Usage: install.sh SERVER MAC DISK

SERVER=$1
MAC=$2
DISK=$3
TARGET=/mnt/root
# Room for a release's /usr: Flatcar's USR slots are 1 GiB; a labos /usr with Debian's generic
# kernel and its modules is about 0.8 GiB.
SLOT_MIB=1280
say() { echo "metal-lab: $*"; }
fail() {
  say "install failed: $*"
  exit 1
}
in_target() { chroot "$TARGET" "$@"; }
# The boot server may go away mid-install (restarted, or stopped by a lab's boot-server fault):
# every transfer is tried again until it completes, for up to 10 minutes. pipefail fails a
# transfer cut short (busybox wget: "connection closed prematurely"), where dd alone would end
# it with success on a short image.
set -o pipefail
RETRY_UNTIL=$(($(date +%s) + 600))
retry() {
  what=$1
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$RETRY_UNTIL" ] || return 1
    say "$what failed, trying again in 5 s"
    sleep 5
  done
}
to_device() { wget -q -O - "$1" | dd of="$2" bs=1M 2>/dev/null; }

BYTES=$(blockdev --getsize64 "$DISK") || fail "cannot read the size of $DISK"
NEED_MIB=$((2 * SLOT_MIB + 1024))
[ "$((BYTES / 1048576))" -ge "$NEED_MIB" ] || fail "$DISK has $((BYTES / 1048576)) MiB; two /usr slots and a root need $NEED_MIB MiB (give the node disk: $(((NEED_MIB + 1023) / 1024)) or more)"

say "installing to $DISK"
# Any old boot sector or partition table must not survive a partial write.
dd if=/dev/zero of="$DISK" bs=1M count=1 2>/dev/null || fail "cannot write $DISK"
# An MBR (GRUB's core image goes in the 1 MiB before the first partition) with three primary
# partitions: busybox fdisk, answered on stdin. Each start is given: busybox offers the free
# sectors before the first partition as the default start of the next.
SLOT_SECTORS=$((SLOT_MIB * 2048))
printf 'o\nn\np\n1\n2048\n+%dM\nn\np\n2\n%d\n+%dM\nn\np\n3\n%d\n\nw\n' \
  "$SLOT_MIB" $((2048 + SLOT_SECTORS)) "$SLOT_MIB" $((2048 + 2 * SLOT_SECTORS)) | fdisk "$DISK" >/dev/null 2>&1
# busybox fdisk leaves the disk signature 0, and a disk without one has no PARTUUIDs (blkid and
# udev's /dev/disk/by-partuuid name MBR partitions <signature>-<number>): give it a random one.
dd if=/dev/urandom of="$DISK" bs=1 seek=440 count=4 conv=notrunc 2>/dev/null || fail "writing the disk signature"
PTUUID=$(dd if="$DISK" bs=1 skip=440 count=4 2>/dev/null | od -An -tx4 | tr -d ' ')
[ -n "$PTUUID" ] && [ "$PTUUID" != 00000000 ] || fail "no disk signature on $DISK"
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [ -b "${DISK}3" ] && break
  sleep 0.5
done
[ -b "${DISK}3" ] || fail "no ${DISK}3 after partitioning"
USR_A=${DISK}1
ROOT=${DISK}3
# Slot B must not look like a filesystem until a release is written into it.
dd if=/dev/zero of="${DISK}2" bs=1M count=1 2>/dev/null
retry "writing /usr to slot A" to_device "$SERVER/assets/labos-disk/usr.ext4" "$USR_A" || fail "writing /usr to slot A"
retry "writing the root filesystem" to_device "$SERVER/assets/labos-disk/root.ext4" "$ROOT" || fail "writing the root filesystem"
sync
mkdir -p "$TARGET"
mount -t ext4 "$ROOT" "$TARGET" || fail "cannot mount $ROOT"
mount -t ext4 -o ro "$USR_A" "$TARGET/usr" || fail "cannot mount $USR_A on /usr"
for fs in dev proc sys; do mount --bind "/$fs" "$TARGET/$fs"; done
in_target resize2fs "$ROOT" >/dev/null 2>&1 || say "could not grow the root filesystem"

# The installed system's kernel command line is the installed group's generic template: the
# boot server says what the node boots with, as it says everything else.
kargs() { ARGS=$(wget -q -O - "$SERVER/generic?mac=$MAC&os=installed"); }
retry "fetching the kernel command line" kargs || fail "fetching the kernel command line"
mkdir -p "$TARGET/boot/grub" "$TARGET/boot/labos/A" "$TARGET/boot/labos/B"
cp "$TARGET/usr/lib/labos/boot/vmlinuz" "$TARGET/usr/lib/labos/boot/initrd.img" "$TARGET/boot/labos/A/" || fail "no kernel or initramfs in slot A's /usr/lib/labos/boot"
cp "$TARGET/usr/lib/labos/grub.cfg" "$TARGET/boot/grub/grub.cfg" || fail "no grub.cfg in slot A's /usr/lib/labos"
printf 'set kargs="%s"\n' "$ARGS" >"$TARGET/boot/grub/kargs.cfg"
# GRUB adds ignition.firstboot while this exists; labos-firstboot-done.service removes it.
: >"$TARGET/boot/labos/first_boot"
in_target grub-editenv /boot/grub/grubenv create || fail "grub-editenv create"
in_target grub-editenv /boot/grub/grubenv set "ORDER=A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0 \
  "A_PARTUUID=$PTUUID-01" "B_PARTUUID=$PTUUID-02" || fail "grub-editenv set"
OUT=$(in_target grub-install --target=i386-pc "$DISK" 2>&1) || fail "grub-install --target=i386-pc $DISK: $OUT"
for fs in sys proc dev usr; do umount "$TARGET/$fs"; done
umount "$TARGET"
sync

retry "the install callback" wget -q -O /dev/null "$SERVER/lab/event?mac=$MAC&stage=installed-to-disk" || say "install callback failed"
say "installed, rebooting"
reboot -f
