# shellcheck shell=bash
# node/network.sh — the pods' network: the CNI configuration (one bridge,
# host-local addresses, no default route, no NAT), the bridge itself, and
# the CNI plugins' result cache entries 'down' removes.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

write_cni_config() {
  # bridge: the host's side of every pod (isGateway puts $NODE_IP on it), no
  # default route for pods and no masquerading, so their traffic stays here.
  # firewall: Docker sets the FORWARD policy to DROP and bridged frames pass
  # through iptables (br_netfilter); this accepts traffic to and from each
  # pod's address, so pods reach each other across the bridge.
  write_if_changed "$CNI/net.d/10-pinned.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pinned",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$NODE_IP" }]],
        "dataDir": "$CNI/ipam"
      }
    },
    { "type": "firewall", "backend": "iptables" }
  ]
}
EOF
}

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge || die "$PART" "could not create bridge $BRIDGE" "check 'ip link add $BRIDGE type bridge' by hand"
    step "$PART" "created bridge $BRIDGE"
  fi
  ip -4 addr show dev "$BRIDGE" | grep -qF " $NODE_IP/" || ip addr add "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

# remove_cni_results : the CNI result cache entries of this node's network
# ("pinned-<container>-eth0") and their loopback twins; another runtime's
# entries stay.
remove_cni_results() {
  local f id n=0
  for f in /var/lib/cni/results/pinned-*; do
    [ -e "$f" ] || continue
    id="${f#/var/lib/cni/results/pinned-}"; id="${id%-eth0}"
    rm -f "$f" "/var/lib/cni/results/cni-loopback-$id-lo"
    n=$((n + 1))
  done
  [ "$n" -eq 0 ] || step "$PART" "removed $n CNI result(s) of network pinned from /var/lib/cni/results"
  [ "$(host_get path./var/lib/cni)" = absent ] && rmdir /var/lib/cni/results 2>/dev/null
  return 0
}
