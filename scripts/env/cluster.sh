#!/usr/bin/env bash
# cluster.sh up|status|down|build|check|env — a real Kubernetes control plane on loopback
# for "pinned env up": etcd + kube-apiserver + kube-controller-manager +
# kube-scheduler, with kwok simulating one node (pods become Ready and get
# fake pod IPs; no containers run, images are never pulled). node.sh adds a
# real node (kubelet + containerd); the simulated one is the fallback.
#
# Everything is built from the Go module proxy through small wrapper modules
# (k8s.io/kubernetes and etcd's server module replace their sibling modules
# with local paths, which a dependent module cannot use) and cached:
#   $CACHE/bin/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler,kwok}
#   $CACHE/src/cluster/<component>-<version>/   wrapper go.mod/go.sum
#   $CACHE/kubeconfig                            admin kubeconfig (system:masters)
#   $CACHE/run/cluster/                          pki/, etcd data, pid files, logs,
#                                                encryption-config.yaml (the key for Secrets)
# up:     build what is missing, generate certificates once, start what is not
#         running, register the kwok node, wait for a Ready node and the
#         default service account.
# status: one line; exit 1 unless the API answers and the node is Ready.
# down:   stop the processes this script started (by recorded PID); keeps the
#         binaries, certificates and etcd data ('down --purge' drops etcd data).
# build:  only build the binaries.
# check:  smoke test: a Deployment of an image by digest becomes Available on
#         the simulated node and its Service gets ready endpoints (in a new
#         namespace pinned-cluster-check-<random>, deleted afterwards).
# Pod Security admission enforces "restricted" in every namespace except
# kube-system and kube-node-lease (cluster/admission.yaml). The API server
# reaches kubelets (logs, exec, port-forward on node.sh's real node) at their
# InternalIP with its own client certificate, and verifies their serving
# certificates against the cluster CA.
# env:    print 'export KUBECONFIG=…'.
# Protection, as kubeadm sets a control plane up: etcd speaks TLS on both its
# ports and answers only certificates of its own CA (pki/etcd/; the API
# server has apiserver-etcd-client); the API server encrypts Secrets before
# they reach etcd (secretbox, key made once in encryption-config.yaml, 0600),
# and 'up' writes Secrets again when it finds any stored in clear (made
# before encryption, or by an older version of this script); keys are 0600.
# Anonymous requests get liveness paths only (and the API server's
# /version; the controller-manager answers /healthz, the scheduler also
# /readyz and /livez); kwok opens no port.
# Addresses: everything listens on 127.0.0.1. The simulated node's InternalIP is
# 127.0.0.1; its pod IPs ($POD_CIDR) and all service IPs ($SERVICE_CIDR) are
# bookkeeping only — no kube-proxy runs, and nothing here ever connects to
# them (the real node's pods have addresses on node.sh's bridge).
#
# Settings (environment): PINNED_APISERVER_PORT (6443), PINNED_ETCD_PORT (2379),
# PINNED_ETCD_PEER_PORT (2380), PINNED_CONTROLLER_MANAGER_PORT (10257),
# PINNED_SCHEDULER_PORT (10259).
set -euo pipefail
PART=cluster
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh"

# etcd 3.5.x (Kubernetes 1.31+ needs >= 3.5.11; Debian ships 3.4.23).
ETCD_VERSION="v3.5.35"
KWOK_VERSION="v0.8.0"
NODE_NAME="kwok-node-0"
# node.sh taints the simulated node with this (NoExecute) while a real node is
# Ready, so workloads run for real and only where they can.
SIMULATED_TAINT="node.pinned.local/simulated"

ETCD_PORT="${PINNED_ETCD_PORT:-2379}"
ETCD_PEER_PORT="${PINNED_ETCD_PEER_PORT:-2380}"
KCM_PORT="${PINNED_CONTROLLER_MANAGER_PORT:-10257}"
SCHED_PORT="${PINNED_SCHEDULER_PORT:-10259}"

RUN="$CLUSTER_RUN"
ENCRYPTION_CONFIG="$RUN/encryption-config.yaml"
ENCRYPTION_REWRITTEN="$RUN/.secrets-encrypted"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

for _v in APISERVER_PORT ETCD_PORT ETCD_PEER_PORT KCM_PORT SCHED_PORT; do
  case "${!_v}" in ''|*[!0-9]*) die "$PART" "port setting $_v='${!_v}' is not a number" "set it to a free TCP port" ;; esac
done

# ---------------------------------------------------------------- building

# build_plain NAME VERSION_TEXT MODULE VERSION PKG : build a main package
# whose module needs no replaces of its own: a throwaway module requires PKG
# at VERSION and go builds it. VERSION_TEXT is what `NAME --version` prints
# when the cached binary is the right one.
build_plain() {
  local name="$1" want="$2" module="$3" version="$4" pkg="$5"
  have_version "$BIN/$name" "$want" && return 0
  go_env
  local dir log
  dir="$(wrapper_dir "$name-$version")"
  log="$RUN/build-$name.log"
  mkdir -p "$RUN"; : >"$log"
  step "$PART" "$name $version: building (a few minutes with a cold Go build cache)"
  if [ ! -s "$dir/go.sum" ]; then
    (cd "$dir" && rm -f go.mod && go mod init "pinned.local/$name-build" && go mod edit -go=1.26.0 \
      && go get "$pkg@$version") >>"$log" 2>&1 \
      || { tail -n 15 "$log" >&2; die "$PART" "could not resolve $pkg@$version (log $log)" "check that the Go module proxy serves it: go list -m -versions $module"; }
  fi
  go_build_into "$name" "$dir" "$log" "$pkg" "-s -w"
}

# etcd: the server module's own require lines pin its siblings (api,
# client/pkg, client/v2, client/v3, pkg, raft) to the same release; only its
# local replaces are dropped, which is what the throwaway module does.
build_etcd() {
  build_plain etcd "etcd Version: ${ETCD_VERSION#v}" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
}

build_kwok() {
  build_plain kwok "${KWOK_VERSION#v}" sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
}

build_k8s() {
  build_k8s_commands "$RUN/build-kubernetes.log" kube-apiserver kube-controller-manager kube-scheduler
}

cmd_build() {
  local t0; t0="$(now_s)"
  mkdir -p "$BIN" "$SRC" "$RUN"
  build_etcd
  build_kwok
  build_k8s
  step "$PART" "binaries ready in $BIN ($(fmt_duration $(( $(now_s) - t0 ))))"
}

# ---------------------------------------------------------------- certificates

# ensure_pki : generate the CA, serving/client certificates and the service
# account key pair once (all or nothing: built in a temp dir, then moved).
ensure_pki() {
  [ -s "$PKI/.complete" ] && [ -f "$PKI/front-proxy/client.crt" ] && return 0
  command -v openssl >/dev/null 2>&1 || apt_ensure "$PART" openssl
  step "$PART" "generating certificates in $PKI"
  mkdir -p "$RUN"
  local tmp client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  tmp="$(mktemp -d "$RUN/.pki.XXXXXX")"
  (
    set -e
    cd "$tmp"
    umask 077
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -subj "/CN=pinned-cluster-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out ca.crt 2>/dev/null
    sign apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${SERVICE_CIDR%.0/*}.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign admin "/O=system:masters/CN=pinned-admin" "$client"
    sign controller-manager "/CN=system:kube-controller-manager" "$client"
    sign scheduler "/CN=system:kube-scheduler" "$client"
    sign kwok "/O=system:masters/CN=pinned-kwok" "$client"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # Front proxy (request-header authentication for aggregated APIs; the
    # controller-manager and scheduler read this CA from the apiserver).
    mkdir front-proxy
    (
      cd front-proxy
      openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
      openssl req -x509 -new -key ca.key -subj "/CN=pinned-front-proxy-ca" -days 3650 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -out ca.crt 2>/dev/null
      sign client "/CN=front-proxy-client" "$client"
      rm -f ca.srl
    )
    rm -f ca.srl
    # A new id makes every component restart with the new files.
    od -An -tx1 -N8 /dev/urandom | tr -d ' \n' >.complete
  ) || { rm -rf "$tmp"; die "$PART" "certificate generation with openssl failed" "run 'openssl version' to check openssl, then re-run '$0 up'"; }
  rm -rf "$PKI"
  mv "$tmp" "$PKI"
}

# ensure_kubelet_client_cert : the API server's client certificate for
# kubelets (logs, exec, port-forward go from the API server to the kubelet,
# which authorizes this user by webhook; node.sh binds it to
# system:kubelet-api-admin). Added next to an existing CA, so clusters made
# before it keep their certificates.
ensure_kubelet_client_cert() {
  [ -s "$PKI/apiserver-kubelet-client.crt" ] && return 0
  step "$PART" "generating the API server's kubelet client certificate in $PKI"
  local tmp
  tmp="$(mktemp -d "$RUN/.pki.XXXXXX")"
  (
    set -e
    umask 077
    cp "$PKI/ca.crt" "$PKI/ca.key" "$tmp/"
    cd "$tmp"
    sign apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    mv apiserver-kubelet-client.key apiserver-kubelet-client.crt "$PKI/"
  ) || { rm -rf "$tmp"; die "$PART" "could not sign the kubelet client certificate with openssl" "run 'openssl version', then re-run '$0 up'"; }
  rm -rf "$tmp"
}

# ensure_etcd_pki : etcd's own CA and certificates, laid out as kubeadm lays
# them out (pki/etcd/{ca,server,peer,healthcheck-client}, and the API
# server's pki/apiserver-etcd-client). etcd trusts only this CA, not the
# cluster CA: the controller-manager signs certificates with the cluster CA
# (for kubelets, through CertificateSigningRequests), and none of those may
# open etcd. Added next to an existing cluster CA, so a cluster made before
# keeps its other certificates; all or nothing (built in a temp dir).
ensure_etcd_pki() {
  [ -s "$PKI/etcd/ca.crt" ] && [ -s "$PKI/etcd/healthcheck-client.crt" ] && [ -s "$PKI/apiserver-etcd-client.crt" ] && return 0
  step "$PART" "generating etcd's CA and certificates in $PKI/etcd (and apiserver-etcd-client)"
  local tmp client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  local both="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
  tmp="$(mktemp -d "$RUN/.pki.XXXXXX")"
  (
    set -e
    umask 077
    cd "$tmp"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -subj "/CN=pinned-etcd-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out ca.crt 2>/dev/null
    sign server "/CN=kube-etcd" "$both"
    sign peer "/CN=kube-etcd-peer" "$both"
    sign healthcheck-client "/CN=kube-etcd-healthcheck-client" "$client"
    sign apiserver-etcd-client "/CN=kube-apiserver-etcd-client" "$client"
    rm -f ca.srl
    mkdir etcd
    mv ca.crt ca.key server.crt server.key peer.crt peer.key healthcheck-client.crt healthcheck-client.key etcd/
    mv apiserver-etcd-client.crt apiserver-etcd-client.key "$PKI/"
    rm -rf "$PKI/etcd"
    mv etcd "$PKI/etcd"
  ) || { rm -rf "$tmp"; die "$PART" "could not make etcd's certificates with openssl" "run 'openssl version', then re-run '$0 up'"; }
  rm -rf "$tmp"
}

# ensure_encryption_config : the EncryptionConfiguration that makes the API
# server encrypt Secrets (secretbox: XSalsa20 and Poly1305, a 32-byte random
# key) before they reach etcd. Made once and never rewritten: the key is the
# only way to read the Secrets etcd holds. It lives in $RUN, not $PKI, so
# that certificates made anew never take the key with them. "identity" comes
# second so that Secrets written before encryption was on are still read
# (encrypt_secrets_in_clear then stores them encrypted).
ensure_encryption_config() {
  [ -s "$ENCRYPTION_CONFIG" ] && return 0
  if [ -e "$ENCRYPTION_REWRITTEN" ] && [ -d "$RUN/etcd-data" ]; then
    die "$PART" "the key that encrypts the Secrets in etcd ($ENCRYPTION_CONFIG) is missing, while etcd's data ($RUN/etcd-data) holds Secrets encrypted with it" \
      "put the file back from a backup; or, to start with an empty cluster, run '$0 down --purge' (drops etcd's data) and then '$0 up'"
  fi
  step "$PART" "making the key that encrypts Secrets at rest ($ENCRYPTION_CONFIG, 0600)"
  local tmp
  tmp="$(mktemp "$RUN/.encryption-config.XXXXXX")"
  chmod 600 "$tmp"
  cat >"$tmp" <<CONFIG
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - secretbox:
          keys:
            - name: key1
              secret: $(head -c 32 /dev/urandom | base64 -w0)
      - identity: {}
CONFIG
  mv -f "$tmp" "$ENCRYPTION_CONFIG"
}

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

# drop_old_revisions : a Secret written again leaves its earlier, clear
# revision in etcd's history (and its bytes in the database file) until
# compaction; compact up to now and defragment so they are gone from both.
drop_old_revisions() {
  local rev out
  rev="$(etcd_post /v3/kv/range '{"key":"AA==","limit":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')" \
    || die "$PART" "could not read etcd's revision" "read $(log_of etcd); re-run '$0 up'"
  out="$(etcd_post /v3/kv/compaction "{\"revision\":\"$rev\",\"physical\":true}")" || true
  case "$out" in *'"header"'*|*'has been compacted'*) ;; *) die "$PART" "etcd compaction to revision $rev failed: $out" "read $(log_of etcd); re-run '$0 up'" ;; esac
  etcd_post /v3/maintenance/defragment '{}' >/dev/null || die "$PART" "etcd defragmentation failed" "read $(log_of etcd); re-run '$0 up'"
}

# secrets_in_clear : how many Secrets etcd holds unencrypted (values not
# starting with k8s:enc:), read straight from etcd.
secrets_in_clear() {
  local b64s b64e
  b64s="$(printf /registry/secrets/ | base64 -w0)"; b64e="$(printf /registry/secrets0 | base64 -w0)"
  etcd_post /v3/kv/range "{\"key\":\"$b64s\",\"range_end\":\"$b64e\"}" | python3 -c '
import base64, json, sys
kvs = json.load(sys.stdin).get("kvs") or []
print(sum(1 for kv in kvs if not base64.b64decode(kv["value"]).startswith(b"k8s:enc:")))'
}

# encrypt_secrets_in_clear : Secrets written before encryption was turned on
# (or by an API server started without it, such as an older version of this
# script) stay in clear in etcd until they are written again. When etcd holds
# any, write every Secret again (a replace stores it through the encrypting
# provider) and compact etcd's history; otherwise do nothing. Either way,
# record that etcd's Secrets are encrypted with this key.
encrypt_secrets_in_clear() {
  local clear json n _
  clear="$(secrets_in_clear)" || die "$PART" "could not read the Secrets in etcd" "read $(log_of etcd); re-run '$0 up'"
  if [ "$clear" -eq 0 ]; then
    [ -e "$ENCRYPTION_REWRITTEN" ] || : >"$ENCRYPTION_REWRITTEN"
    return 0
  fi
  for _ in 1 2 3; do
    # A Secret changed between the read and the replace is refused as a
    # conflict; that change was written encrypted already, and a new round
    # replaces the rest.
    json="$(kc get secrets -A -o json)" || die "$PART" "could not list Secrets to encrypt them" "check '$0 status' and $(log_of kube-apiserver)"
    n="$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' <<<"$json")"
    if kc replace -f - >/dev/null 2>>"$RUN/encryption-rewrite.log" <<<"$json"; then
      drop_old_revisions
      : >"$ENCRYPTION_REWRITTEN"
      step "$PART" "etcd held $clear Secret(s) in clear (written without encryption at rest); wrote all $n Secrets again, encrypted, and compacted etcd's history"
      return 0
    fi
  done
  die "$PART" "could not write the Secrets again so they are stored encrypted" \
    "read $RUN/encryption-rewrite.log; re-run '$0 up'"
}

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

# ---------------------------------------------------------------- processes

# Components in start order: NAME PORT-VARIABLE.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

port_of() {
  case "$1" in
    etcd) echo "$ETCD_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHED_PORT" ;;
    kwok) ;;  # serves nothing: see args_of
  esac
}
port_var_of() {
  case "$1" in
    etcd) echo PINNED_ETCD_PORT ;;
    kube-apiserver) echo PINNED_APISERVER_PORT ;;
    kube-controller-manager) echo PINNED_CONTROLLER_MANAGER_PORT ;;
    kube-scheduler) echo PINNED_SCHEDULER_PORT ;;
  esac
}

# args_of NAME : the command line of a component, one word per line.
args_of() {
  case "$1" in
    # TLS on both ports, and only clients with a certificate from etcd's CA
    # (client-cert-auth) get an answer, /metrics and /health included: no
    # --listen-metrics-urls, which would serve them without one. The one
    # member never dials its peer port, but it listens, so it asks the same.
    etcd) printf '%s\n' "$BIN/etcd" --name=pinned --data-dir="$RUN/etcd-data" \
      --listen-client-urls="https://127.0.0.1:$ETCD_PORT" --advertise-client-urls="https://127.0.0.1:$ETCD_PORT" \
      --cert-file="$PKI/etcd/server.crt" --key-file="$PKI/etcd/server.key" \
      --client-cert-auth=true --trusted-ca-file="$PKI/etcd/ca.crt" \
      --listen-peer-urls="https://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="https://127.0.0.1:$ETCD_PEER_PORT" \
      --peer-cert-file="$PKI/etcd/peer.crt" --peer-key-file="$PKI/etcd/peer.key" \
      --peer-client-cert-auth=true --peer-trusted-ca-file="$PKI/etcd/ca.crt" \
      --initial-cluster="pinned=https://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
      --quota-backend-bytes=2147483648 --auto-compaction-retention=1h --log-level=warn ;;
    kube-apiserver) printf '%s\n' "$BIN/kube-apiserver" \
      --etcd-servers="https://127.0.0.1:$ETCD_PORT" --etcd-prefix=/registry \
      --etcd-cafile="$PKI/etcd/ca.crt" --etcd-certfile="$PKI/apiserver-etcd-client.crt" \
      --etcd-keyfile="$PKI/apiserver-etcd-client.key" \
      --encryption-provider-config="$ENCRYPTION_CONFIG" \
      --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
      --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
      --client-ca-file="$PKI/ca.crt" \
      --requestheader-client-ca-file="$PKI/front-proxy/ca.crt" --requestheader-allowed-names=front-proxy-client \
      --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
      --requestheader-extra-headers-prefix=X-Remote-Extra- \
      --proxy-client-cert-file="$PKI/front-proxy/client.crt" --proxy-client-key-file="$PKI/front-proxy/client.key" \
      --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-cluster-ip-range="$SERVICE_CIDR" \
      --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
      --allow-privileged=true --endpoint-reconciler-type=none \
      --admission-control-config-file="$(config_file admission.yaml)" \
      --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
      --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
      --kubelet-certificate-authority="$PKI/ca.crt" \
      --kubelet-preferred-address-types=InternalIP \
      --cert-dir="$RUN/apiserver-certs" --profiling=false --v=1 ;;
    kube-controller-manager) printf '%s\n' "$BIN/kube-controller-manager" \
      --kubeconfig="$RUN/controller-manager.kubeconfig" \
      --authentication-kubeconfig="$RUN/controller-manager.kubeconfig" \
      --authorization-kubeconfig="$RUN/controller-manager.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
      --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
      --use-service-account-credentials=true \
      --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
      --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false \
      --profiling=false --v=1 ;;
    kube-scheduler) printf '%s\n' "$BIN/kube-scheduler" \
      --kubeconfig="$RUN/scheduler.kubeconfig" \
      --authentication-kubeconfig="$RUN/scheduler.kubeconfig" \
      --authorization-kubeconfig="$RUN/scheduler.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false \
      --profiling=false --v=1 ;;
    # kwok without its server (no --server-address, no --node-port, which
    # would open one on 0.0.0.0): that server has no authentication, and
    # even with its debugging handlers off (enableDebuggingHandlers in its
    # configuration) it serves /metrics to anyone. Nothing here used it; the
    # simulated node's pods have no containers, so no logs or exec either.
    kwok) printf '%s\n' "$BIN/kwok" \
      --kubeconfig="$RUN/kwok.kubeconfig" --config="$(config_file kwok-stages.yaml)" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
      --node-ip=127.0.0.1 --cidr="$POD_CIDR" --node-lease-duration-seconds=40 ;;
  esac
}

# version_of NAME : the version a component runs (recorded with its arguments).
version_of() {
  case "$1" in
    etcd) echo "$ETCD_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    *) echo "$K8S_VERSION" ;;
  esac
}

pidfile_of() { echo "$RUN/$1.pid"; }
log_of() { echo "$RUN/$1.log"; }

# port_busy PORT : true if something accepts TCP connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# curl_ok URL [CURL ARGS...] : true if URL answers 200 "ok" (or etcd's health JSON).
curl_ok() {
  local url="$1"; shift
  local out
  out="$(curl -s -m 3 "$@" "$url" 2>/dev/null)" || return 1
  case "$out" in ok|*'"health":"true"'*) return 0 ;; *) return 1 ;; esac
}

# healthy NAME : the component answers its health endpoint. kwok has none (it
# serves nothing): alive is all it shows here, and 'up' then waits for its
# node to be Ready, which only its node lease renewals keep.
healthy() {
  case "$1" in
    etcd) curl_ok "https://127.0.0.1:$ETCD_PORT/health" --cacert "$PKI/etcd/ca.crt" \
      --cert "$PKI/etcd/healthcheck-client.crt" --key "$PKI/etcd/healthcheck-client.key" ;;
    kube-apiserver) curl_ok "$SERVER/readyz" --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" ;;
    kube-controller-manager) curl_ok "https://127.0.0.1:$KCM_PORT/healthz" -k ;;
    kube-scheduler) curl_ok "https://127.0.0.1:$SCHED_PORT/healthz" -k ;;
    kwok) bg_alive "$(pidfile_of kwok)" kwok ;;
  esac
}

# config_file NAME : the path of scripts/env/cluster/NAME as the components
# read it: a copy under $RUN (updated when the checkout's file differs), so
# the command lines do not name the checkout. Running 'up' from another
# clone of the repository then restarts nothing unless the content changed.
config_file() {
  local src="$HERE/cluster/$1" dst="$RUN/config/$1"
  if ! cmp -s "$src" "$dst" 2>/dev/null; then
    mkdir -p "$RUN/config"
    cp "$src" "$dst.tmp.$$" && mv -f "$dst.tmp.$$" "$dst"
  fi
  printf '%s\n' "$dst"
}

# wanted_of NAME : version, certificate set and command line NAME should run with.
# The admission configuration is a file the command line only names: its
# checksum is part of what the API server should run with.
wanted_of() {
  version_of "$1"; echo "pki $(cat "$PKI/.complete")"; args_of "$1"
  # etcd reads its CA once at start: certificates made anew (pki/etcd removed)
  # need etcd and its client, the API server, restarted.
  case "$1" in etcd|kube-apiserver) echo "etcd-ca $(sha256sum <"$PKI/etcd/ca.crt")" ;; esac
  [ "$1" = kube-apiserver ] && sha256sum <"$(config_file admission.yaml)" && sha256sum <"$ENCRYPTION_CONFIG"
  [ "$1" = kwok ] && sha256sum <"$(config_file kwok-stages.yaml)"
  return 0
}

# changed_components : names of running components (started by this script)
# whose version, certificates or command line differ from what 'up' wants.
changed_components() {
  local c
  for c in "${COMPONENTS[@]}"; do
    bg_alive "$(pidfile_of "$c")" "$c" || continue
    [ "$(cat "$RUN/$c.args" 2>/dev/null)" = "$(wanted_of "$c")" ] || printf '%s ' "$c"
  done
}

# start_component NAME : start NAME unless this script's instance with the
# same version and arguments already runs; restart it if they changed.
start_component() {
  local name="$1" pidfile log want argsfile port t0 _
  pidfile="$(pidfile_of "$name")"; log="$(log_of "$name")"; argsfile="$RUN/$name.args"
  port="$(port_of "$name")"
  want="$(wanted_of "$name")"
  if bg_alive "$pidfile" "$name"; then
    if [ "$(cat "$argsfile" 2>/dev/null)" = "$want" ]; then
      wait_healthy "$name" 60
      return 0
    fi
    step "$PART" "$name: version or settings changed; restarting it"
    bg_stop "$PART" "$pidfile" "$name" 30 >/dev/null
  fi
  rm -f "$pidfile"
  if [ -n "$port" ] && port_busy "$port"; then
    die "$PART" "port $port on 127.0.0.1 (for $name) is already in use by a process this script did not start" \
      "stop that process, or choose another port with $(port_var_of "$name")=<free port>"
  fi
  if [ "$name" = etcd ] && port_busy "$ETCD_PEER_PORT"; then
    die "$PART" "port $ETCD_PEER_PORT on 127.0.0.1 (etcd peer) is already in use by a process this script did not start" \
      "stop that process, or choose another port with PINNED_ETCD_PEER_PORT=<free port>"
  fi
  # Keep one previous log once it grows past 20 MB.
  if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 20000000 ]; then mv -f "$log" "$log.1"; fi
  local -a cmd
  mapfile -t cmd < <(args_of "$name")
  printf '\n==== %s: %s\n' "$(date -u +%FT%TZ)" "${cmd[*]}" >>"$log"
  t0="$(now_s)"
  bg_start "$pidfile" "$log" "${cmd[@]}" || die "$PART" "could not launch $name" "see $log"
  printf '%s\n' "$want" >"$argsfile"
  wait_healthy "$name" 120
  step "$PART" "$name $(version_of "$name") up ${port:+on 127.0.0.1:$port }(PID $(cat "$pidfile"), $(( $(now_s) - t0 ))s)"
}

# wait_healthy NAME TIMEOUT_S
wait_healthy() {
  local name="$1" timeout="$2" pidfile _
  pidfile="$(pidfile_of "$name")"
  for _ in $(seq 1 $((timeout * 5))); do
    healthy "$name" && return 0
    if ! bg_alive "$pidfile" "$name"; then
      tail -n 8 "$(log_of "$name")" >&2
      die "$PART" "$name exited during start-up (log $(log_of "$name"))" \
        "read the log above; if a port is taken, set $(port_var_of "$name")=<free port>; then re-run '$0 up'"
    fi
    sleep 0.2
  done
  tail -n 8 "$(log_of "$name")" >&2
  die "$PART" "$name (PID $(cat "$pidfile")) is running but not healthy after ${timeout}s (log $(log_of "$name"))" \
    "read the log; '$0 down' then '$0 up' restarts everything"
}


node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

register_node() {
  kc get node "$NODE_NAME" >/dev/null 2>&1 && return 0
  kc apply -f - >/dev/null <<NODE || die "$PART" "could not register node $NODE_NAME" "check '$0 status' and $(log_of kube-apiserver)"
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok
    type: kwok
NODE
  step "$PART" "registered node $NODE_NAME (simulated by kwok)"
}

# wait_until WHAT TIMEOUT_S CMD... : poll CMD every 0.5 s.
wait_until() {
  local what="$1" timeout="$2" _; shift 2
  for _ in $(seq 1 $((timeout * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  die "$PART" "timed out after ${timeout}s waiting for $what" "see the logs in $RUN (kube-controller-manager.log, kwok.log); '$0 down' then '$0 up' restarts everything"
}

default_sa() { kc -n default get serviceaccount default >/dev/null 2>&1; }

cmd_up() {
  local t0 c; t0="$(now_s)"
  command -v kubectl >/dev/null 2>&1 || die "$PART" "kubectl is not installed" "install kubectl 1.31–1.33 (it talks to Kubernetes $K8S_VERSION)"
  command -v curl >/dev/null 2>&1 || apt_ensure "$PART" curl
  mkdir -p "$BIN" "$SRC" "$RUN"
  build_etcd
  build_kwok
  build_k8s
  ensure_pki
  ensure_kubelet_client_cert
  ensure_etcd_pki
  ensure_encryption_config
  write_kubeconfigs
  local changed; changed="$(changed_components)"
  if [ -n "$changed" ]; then
    # Restart everything (in order) rather than one piece under the others.
    step "$PART" "version, certificates or settings changed for ${changed% }; restarting the control plane"
    cmd_down >/dev/null
  fi
  for c in "${COMPONENTS[@]}"; do start_component "$c"; done
  ensure_etcd_peer_url
  encrypt_secrets_in_clear
  register_node
  wait_until "node $NODE_NAME to be Ready" 60 node_ready
  wait_until "the service account default/default (created by kube-controller-manager)" 90 default_sa
  step "$PART" "Kubernetes $K8S_VERSION up at $SERVER, node $NODE_NAME Ready; KUBECONFIG=$KUBECONFIG_ADMIN ($(fmt_duration $(( $(now_s) - t0 ))))"
}

cmd_status() {
  local c running=0 down=() ready
  for c in "${COMPONENTS[@]}"; do
    if bg_alive "$(pidfile_of "$c")" "$c" && healthy "$c"; then running=$((running + 1)); else down+=("$c"); fi
  done
  local what="Kubernetes $K8S_VERSION (etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}) at $SERVER"
  if [ "${#down[@]}" -gt 0 ]; then
    echo "$PART: $what: not running or unhealthy: ${down[*]} — unhealthy; run scripts/env/cluster.sh up"
    return 1
  fi
  ready="$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
  if [ "$ready" != True ]; then
    echo "$PART: $what: node $NODE_NAME Ready=${ready:-missing} — unhealthy; run scripts/env/cluster.sh up"
    return 1
  fi
  echo "$PART: $what, node $NODE_NAME Ready, 5/5 processes started by this script, KUBECONFIG=$KUBECONFIG_ADMIN — healthy"
}

cmd_down() {
  local c
  # The clients of the API first (in parallel: each takes a second or two to
  # shut down), then the apiserver, then etcd.
  for c in kwok kube-scheduler kube-controller-manager; do
    bg_stop "$PART: $c" "$(pidfile_of "$c")" "$c" 30 &
  done
  wait
  bg_stop "$PART: kube-apiserver" "$(pidfile_of kube-apiserver)" kube-apiserver 60
  bg_stop "$PART: etcd" "$(pidfile_of etcd)" etcd 30
  if [ "${1:-}" = --purge ]; then
    rm -rf "$RUN/etcd-data" "$ENCRYPTION_REWRITTEN"
    step "$PART" "removed etcd data ($RUN/etcd-data)"
  fi
}

# check : smoke test — a Deployment of an image by digest becomes Available and
# its Service gets endpoints (kwok never pulls images).
cmd_check() {
  local ns t0; t0="$(now_s)"
  ns="pinned-cluster-check-$(od -An -tx1 -N3 /dev/urandom | tr -d ' \n')"
  local image="127.0.0.1:5000/pinned/check@sha256:0000000000000000000000000000000000000000000000000000000000000001"
  kc create namespace "$ns" >/dev/null
  # Pinned to the simulated node (it tolerates the taint node.sh puts there
  # while a real node runs: its image does not exist), and restricted, as Pod
  # Security admission demands everywhere outside kube-system.
  kc -n "$ns" apply -f - >/dev/null <<DEPLOY
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {type: kwok}
      tolerations: [{key: $SIMULATED_TAINT, operator: Exists}]
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: $image
        ports: [{containerPort: 8080}]
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
DEPLOY
  kc -n "$ns" expose deployment web --port=80 --target-port=8080 >/dev/null
  kc -n "$ns" rollout status deployment/web --timeout=60s >/dev/null \
    || die "$PART" "deployment $ns/web did not become Available" "kubectl --kubeconfig $KUBECONFIG_ADMIN -n $ns describe pods; see $(log_of kwok)"
  local eps=""
  service_endpoints() {
    eps="$(kc -n "$ns" get endpointslices -l kubernetes.io/service-name=web \
      -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]} {end}' 2>/dev/null)"
    [ "$(wc -w <<<"$eps")" -eq 2 ]
  }
  wait_until "2 ready endpoints of service $ns/web" 30 service_endpoints
  kc delete namespace "$ns" --wait=false >/dev/null
  step "$PART" "check passed: deployment $ns/web Available (2/2), service endpoints ${eps% } ($(fmt_duration $(( $(now_s) - t0 ))))"
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) shift; cmd_down "$@" ;;
  build) cmd_build ;;
  check) cmd_check ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_ADMIN" ;;
  *) echo "usage: $0 up|status|down [--purge]|build|check|env" >&2; exit 2 ;;
esac
