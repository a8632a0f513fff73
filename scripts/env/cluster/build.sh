# shellcheck shell=bash
# cluster/build.sh — building the control plane's binaries: etcd and kwok
# through a throwaway module each, the Kubernetes commands through
# cluster-lib.sh's wrapper module.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

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
