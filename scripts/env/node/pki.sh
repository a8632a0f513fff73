# shellcheck shell=bash
# node/pki.sh — the node's certificates, signed by the cluster CA that
# cluster.sh made.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

# ensure_node_pki : the node's client certificate (O=system:nodes, so the Node
# authorizer and NodeRestriction let it manage its own Node object) and its
# serving certificate (SAN = node IP, which the API server verifies), from the
# cluster CA; made again when that CA changes.
ensure_node_pki() {
  local ca_sum tmp
  [ -s "$PKI/ca.key" ] || die "$PART" "the cluster CA ($PKI/ca.key) is missing" "run scripts/env/cluster.sh up first"
  ca_sum="$(sha256sum <"$PKI/ca.crt" | cut -c1-16)"
  [ "$(cat "$NPKI/.ca" 2>/dev/null)" = "$ca_sum" ] && [ -s "$NPKI/kubelet-serving.crt" ] && return 0
  command -v openssl >/dev/null 2>&1 || apt_ensure "$PART" openssl
  step "$PART" "generating the node's certificates in $NPKI"
  mkdir -p "$RUN"
  tmp="$(mktemp -d "$RUN/.pki.XXXXXX")"
  (
    set -e
    umask 077
    cp "$PKI/ca.crt" "$PKI/ca.key" "$tmp/"
    cd "$tmp"
    sign kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    sign kubelet-serving "/CN=system:node:$NODE_NAME" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$NODE_IP,DNS:$NODE_NAME"
    rm -f ca.key ca.srl
    printf '%s\n' "$ca_sum" >.ca
  ) || { rm -rf "$tmp"; die "$PART" "certificate generation with openssl failed" "run 'openssl version', then re-run '$0 up'"; }
  rm -rf "$NPKI"
  mv "$tmp" "$NPKI"
}
