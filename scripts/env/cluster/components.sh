# shellcheck shell=bash
# cluster/components.sh — what each component runs: the start order, ports
# and their settings, command lines, versions, the configuration files
# they read, and all of it together as what 'up' compares.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

# Components in start order.
# shellcheck disable=SC2034  # read by processes.sh and cluster.sh
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
