# shellcheck shell=bash
# cluster/kubeconfig.sh — the kubeconfigs: the admin one (certificates
# inlined) and one for each component that talks to the API server.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

# write_kubeconfig FILE USER CERTNAME [embed] : kubeconfig for $SERVER (atomic).
# With "embed" the certificates are inlined (the admin file is used from
# anywhere) and the context names the default namespace; otherwise it points
# at the files in $PKI.
write_kubeconfig() {
  local file="$1" user="$2" cert="$3" embed="${4:-}" tmp ca crt key ns=""
  tmp="$(mktemp "$(dirname "$file")/.kubeconfig.XXXXXX")"
  chmod 600 "$tmp"
  if [ -n "$embed" ]; then
    ca="certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")"
    crt="client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")"
    key="client-key-data: $(base64 -w0 "$PKI/$cert.key")"
    ns=$'\n    namespace: default'
  else
    ca="certificate-authority: $PKI/ca.crt"
    crt="client-certificate: $PKI/$cert.crt"
    key="client-key: $PKI/$cert.key"
  fi
  cat >"$tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: pinned
  cluster:
    server: $SERVER
    $ca
users:
- name: $user
  user:
    $crt
    $key
contexts:
- name: pinned
  context:
    cluster: pinned
    user: $user$ns
current-context: pinned
KC
  if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv -f "$tmp" "$file"; fi
}

write_kubeconfigs() {
  mkdir -p "$RUN" "$(dirname "$KUBECONFIG_ADMIN")"
  write_kubeconfig "$KUBECONFIG_ADMIN" pinned-admin admin embed
  write_kubeconfig "$RUN/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  write_kubeconfig "$RUN/scheduler.kubeconfig" system:kube-scheduler scheduler
  write_kubeconfig "$RUN/kwok.kubeconfig" pinned-kwok kwok
}
