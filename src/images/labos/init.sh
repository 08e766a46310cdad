#!/bin/sh
# metal-lab node agent: PID 1 of the labos live image, on the serial console.
# It proves a PXE-booted machine reached userspace, got its address by DHCP and can
# fetch its own Ignition config and metadata from the lab's Matchbox-compatible server;
# with metal.install=DISK it then installs the labos OS to that disk (install.sh).
# Every step prints one "metal-lab: ..." line; the lab greps the console log for them.
# PID 1 must never exit (the kernel panics), so the script ends in a respawning shell.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
STATE=/run/metal-lab
STOP=''

say() { echo "metal-lab: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mkdir -p "$STATE"

# Boot parameters the lab puts on the kernel command line.
MAC=''
SERVER=''
INSTALL=''
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    # iPXE's ${mac:hexhyp} is 52-54-00-a1-9c-ae; queries use the colon form.
    metal.mac=*) MAC=$(echo "${arg#metal.mac=}" | tr 'A-F-' 'a-f:') ;;
    metal.server=*) SERVER=${arg#metal.server=} ;;
    metal.install=*) INSTALL=${arg#metal.install=} ;;
  esac
done

# The boot MAC is known without any driver, so report userspace before loading modules.
[ -n "$MAC" ] && say "reached userspace mac=$MAC"

# Network drivers, dependencies first (the builder wrote the order).
while read -r ko; do
  insmod "/lib/modules/$ko" || say "insmod failed module=$ko"
done < /etc/metal-lab/modules

# The NIC with the boot MAC, or else the first one that is not loopback.
# The driver probes the device asynchronously, so give it a few seconds to appear.
find_nic() {
  for dev in /sys/class/net/*; do
    name=${dev##*/}
    [ "$name" = lo ] && continue
    if [ -z "$MAC" ] || [ "$(cat "$dev/address")" = "$MAC" ]; then
      echo "$name"
      return 0
    fi
  done
  return 1
}
# Short polls: every wait here is on the path of each node's boot, in tenths of a second.
IFACE=''
for _ in $(seq 1 50); do
  IFACE=$(find_nic) && break
  sleep 0.1
done

if [ -z "$IFACE" ]; then
  [ -n "$MAC" ] || MAC=unknown
  say "reached userspace mac=$MAC"
  say "no network interface found for mac=$MAC"
  STOP='no network interface'
else
  if [ -z "$MAC" ]; then
    MAC=$(cat "/sys/class/net/$IFACE/address")
    say "reached userspace mac=$MAC"
  fi
  ip link set lo up
  ip link set "$IFACE" up

  # udhcpc stays in the background to renew the lease; its script writes $STATE/dhcp.env once bound.
  udhcpc -f -i "$IFACE" -s /etc/metal-lab/udhcpc.sh >"$STATE/udhcpc.log" 2>&1 &
  for _ in $(seq 1 300); do
    [ -s "$STATE/dhcp.env" ] && break
    sleep 0.1
  done
  IP=''
  [ -s "$STATE/dhcp.env" ] && . "$STATE/dhcp.env"
  if [ -n "$IP" ]; then
    say "dhcp ip=$IP iface=$IFACE"
  else
    say "dhcp failed iface=$IFACE (see $STATE/udhcpc.log)"
    STOP='no DHCP lease'
  fi
fi

# fetch URL FILE: a few tries with short sleeps, since the server may still be starting.
# The time limit comes from `timeout`: this busybox's own `wget -T` segfaults.
fetch() {
  for _ in 1 2 3 4 5; do
    timeout 10 wget -q -O "$2" "$1" && return 0
    sleep 1
  done
  rm -f "$2"
  return 1
}

if [ -z "$STOP" ] && [ -z "$SERVER" ]; then
  say "no metal.server= on the kernel command line"
  STOP='no server'
fi

if [ -z "$STOP" ]; then
  if fetch "$SERVER/ignition?mac=$MAC" "$STATE/ignition.json" &&
    fetch "$SERVER/metadata?mac=$MAC" "$STATE/metadata.env"; then
    say "fetched ignition bytes=$(wc -c <"$STATE/ignition.json") metadata bytes=$(wc -c <"$STATE/metadata.env")"
  else
    say "fetch failed server=$SERVER mac=$MAC"
    STOP='fetch failed'
  fi
fi

if [ -z "$STOP" ]; then
  if fetch "$SERVER/lab/event?mac=$MAC&stage=userspace&ip=$IP" "$STATE/event.out"; then
    say "agent done"
  else
    say "callback failed server=$SERVER"
    STOP='callback failed'
  fi
fi

[ -n "$STOP" ] && say "agent stopped: $STOP"

# An install profile asks for the OS on disk: write it, then reboot into it.
[ -z "$STOP" ] && [ -n "$INSTALL" ] && /etc/metal-lab/install.sh "$SERVER" "$MAC" "$INSTALL"

# Stay alive: a shell on the console for debugging, respawned if it exits.
while :; do
  setsid cttyhack sh
  sleep 1
done
