#!/usr/bin/env bash
# Builds a Debian 12 box for Vagrant's libvirt provider from Debian's archive alone, for a host
# that cannot reach Vagrant Cloud (this project's CI, a workshop room): the Vagrantfile takes it
# with METAL_LAB_BOX=OUT.box. As root; needs debootstrap, sfdisk, losetup, qemu-img and the
# vagrant package (its insecure public key, which `vagrant up` swaps for a fresh one). It boots
# with EXTLINUX: GRUB's installer must see the partition as a child of the disk, and a loop
# device's partitions do not appear in every container, while a loop at the partition's offset
# always works.
#
#   vagrant/build-box.sh OUT.box [MIRROR]     MIRROR defaults to the host's Debian mirror
set -euo pipefail
out=$(realpath -m "${1:?usage: vagrant/build-box.sh OUT.box [MIRROR]}")
mirror=${2:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
key=$(dpkg -L vagrant 2>/dev/null | grep '/keys/vagrant\.pub$' || true)
[ -f "$key" ] || { echo "build-box: no Vagrant insecure key; install Debian's vagrant" >&2; exit 2; }
size_gib=40 # the Vagrantfile's disk; sparse, so the box holds only what is written

work=$(mktemp -d /var/tmp/metal-lab-box-XXXXXX)
root=$work/root
loop=
cleanup() {
  for m in dev/pts dev proc sys; do mountpoint -q "$root/$m" && umount "$root/$m"; done
  mountpoint -q "$root" && umount "$root"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

echo "build-box: a ${size_gib} GiB disk, one partition"
truncate -s "${size_gib}G" "$work/disk.raw"
echo 'start=2048, type=83, bootable' | sfdisk -q "$work/disk.raw"
loop=$(losetup --find --show --offset $((2048 * 512)) "$work/disk.raw")
# Without 64bit, which EXTLINUX does not read on every version; the disk is far below 16 TiB.
mkfs.ext4 -q -L root -O ^64bit "$loop"
mkdir "$root"
mount "$loop" "$root"

echo "build-box: debootstrap bookworm from $mirror"
debootstrap --variant=minbase \
  --include=systemd-sysv,udev,dbus,linux-image-amd64,extlinux,syslinux-common,openssh-server,sudo,rsync,iproute2,procps,less,ca-certificates \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

for m in dev dev/pts proc sys; do mount --bind "/$m" "$root/$m"; done
uuid=$(blkid -s UUID -o value "$loop")
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
echo metal-lab-box >"$root/etc/hostname"
# DHCP on whatever the NIC is named: libvirt's virtio, VirtualBox's e1000.
cat >"$root/etc/systemd/network/80-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
# What Vagrant's boxes promise: a vagrant user, its insecure key, sudo without a password.
chroot "$root" useradd -m -s /bin/bash -G sudo vagrant
echo 'vagrant:vagrant' | chroot "$root" chpasswd
install -d -m 0700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
install -m 0600 -o 1000 -g 1000 "$key" "$root/home/vagrant/.ssh/authorized_keys"
echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/vagrant"
chmod 0440 "$root/etc/sudoers.d/vagrant"
# No DNS in an isolated room: sshd must not wait on reverse lookups of Vagrant's address.
echo 'UseDNS no' >"$root/etc/ssh/sshd_config.d/vagrant.conf"
chroot "$root" systemctl enable systemd-networkd ssh >/dev/null 2>&1
# A serial console too, so `virsh console` and the domain's log show the boot.
kver=$(find "$root/boot" -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -1)
mkdir -p "$root/boot/extlinux"
cat >"$root/boot/extlinux/extlinux.conf" <<EOF
SERIAL 0 115200
DEFAULT debian
TIMEOUT 1
LABEL debian
  LINUX /boot/vmlinuz-$kver
  INITRD /boot/initrd.img-$kver
  APPEND root=UUID=$uuid ro console=tty0 console=ttyS0,115200
EOF
chroot "$root" extlinux --install /boot/extlinux >/dev/null
cp "$root/usr/lib/syslinux/mbr/mbr.bin" "$work/mbr.bin"
chroot "$root" apt-get clean
rm -f "$root/etc/ssh/ssh_host_"* # each VM makes its own at first boot
cat >"$root/etc/systemd/system/ssh-host-keys.service" <<'EOF'
[Unit]
Description=sshd's host keys, made at first boot
Before=ssh.service
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
chroot "$root" systemctl enable ssh-host-keys.service >/dev/null 2>&1
: >"$root/etc/machine-id"

for m in dev/pts dev proc sys; do umount "$root/$m"; done
umount "$root"
losetup -d "$loop"; loop=
# The MBR's code: it boots the partition marked bootable, whose first sector EXTLINUX wrote.
dd if="$work/mbr.bin" of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none

echo "build-box: qcow2 and the box archive"
qemu-img convert -O qcow2 -c "$work/disk.raw" "$work/box.img"
rm "$work/disk.raw"
printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' "$size_gib" >"$work/metadata.json"
mkdir -p "$(dirname "$out")"
tar -C "$work" -cf "$out.part" metadata.json box.img
mv "$out.part" "$out"
echo "build-box: $out, $(du -m "$out" | cut -f1) MB"
