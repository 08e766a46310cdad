#!/bin/sh
# udhcpc event script of the labos live image. udhcpc runs it with $1 = deconfig, bound,
# renew, leasefail or nak and the lease in the environment: $interface, $ip, $mask
# (prefix length), $router and $dns (space-separated lists).
# It applies the lease, then writes /run/metal-lab/dhcp.env for the agent to read.

STATE=/run/metal-lab

case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound | renew)
    # A renewal usually keeps the address; only replace it when it changed.
    if ! ip -4 addr show dev "$interface" | grep -q "inet $ip/"; then
      ip -4 addr flush dev "$interface"
      ip addr add "$ip/${mask:-24}" dev "$interface"
    fi
    if [ -n "$router" ]; then
      set -- $router
      ip route replace default via "$1" dev "$interface"
    fi
    : >/etc/resolv.conf
    for server in $dns; do
      echo "nameserver $server" >>/etc/resolv.conf
    done
    # Written last and renamed, so the agent never reads a half-written lease.
    echo "IP=$ip" >"$STATE/dhcp.env.tmp"
    mv "$STATE/dhcp.env.tmp" "$STATE/dhcp.env"
    ;;
esac
exit 0
