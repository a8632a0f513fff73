# shellcheck shell=bash
# cluster/etcd.sh — requests to etcd itself (its JSON gateway, with the
# health-check client certificate), and its member's peer URL.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

# etcd_post PATH JSON : POST JSON to etcd's v3 JSON gateway with the
# health-check client certificate (the one this script uses); prints the answer.
etcd_post() {
  curl -sS -m 60 --cacert "$PKI/etcd/ca.crt" --cert "$PKI/etcd/healthcheck-client.crt" --key "$PKI/etcd/healthcheck-client.key" \
    -X POST -d "$2" "https://127.0.0.1:$ETCD_PORT$1"
}

# ensure_etcd_peer_url : a member made by an earlier version of this script
# is recorded with an http:// peer URL; etcd keeps the recorded one over
# --initial-advertise-peer-urls, so it is updated to the https:// one it
# listens on (the member list then names no URL where nothing answers).
ensure_etcd_peer_url() {
  local want="https://127.0.0.1:$ETCD_PEER_PORT" id
  id="$(etcd_post /v3/cluster/member/list '{}' | python3 -c '
import json, sys
want = sys.argv[1]
for m in json.load(sys.stdin)["members"]:
    if m.get("peerURLs") != [want]:
        print(m["ID"])
' "$want")" || die "$PART" "could not list etcd's members" "read $(log_of etcd); re-run '$0 up'"
  [ -z "$id" ] && return 0
  etcd_post /v3/cluster/member/update "{\"ID\":\"$id\",\"peerURLs\":[\"$want\"]}" >/dev/null \
    || die "$PART" "could not update etcd's peer URL to $want" "read $(log_of etcd); re-run '$0 up'"
  step "$PART" "etcd member's peer URL is now $want"
}
