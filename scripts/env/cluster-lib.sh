# shellcheck shell=bash disable=SC2034  # its variables are used by the scripts that source it
# The control plane's settings and Go build helpers, shared by cluster.sh and
# node.sh (source it after lib.sh, with PART set). Both parts must agree on
# the Kubernetes release, the certificate authority and the API server's
# address, so these live in one place.

# One Kubernetes release within one minor of the installed kubectl (1.32).
# v1.33.13: the module proxy serves k8s.io/kubernetes v1.32.13 but not all of
# its staging modules at v0.32.13 (k8s.io/endpointslice is missing), while every
# staging module the commands need is served at v0.33.13.
K8S_VERSION="v1.33.13"
SERVICE_CIDR="10.96.0.0/16"  # virtual: nothing runs kube-proxy, no traffic is ever sent there
POD_CIDR="10.244.0.0/24"     # fake pod IPs handed out by kwok; nothing listens on them

APISERVER_PORT="${PINNED_APISERVER_PORT:-6443}"
case "$APISERVER_PORT" in ''|*[!0-9]*) die "$PART" "port setting PINNED_APISERVER_PORT='$APISERVER_PORT' is not a number" "set it to a free TCP port" ;; esac

BIN="$CACHE/bin"
SRC="$CACHE/src/cluster"
CLUSTER_RUN="$CACHE/run/cluster"
PKI="$CLUSTER_RUN/pki"
KUBECONFIG_ADMIN="$CACHE/kubeconfig"
SERVER="https://127.0.0.1:$APISERVER_PORT"

# ---------------------------------------------------------------- building

# go_env : the Go settings every build here uses.
go_env() {
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
  command -v go >/dev/null 2>&1 || die "$PART" "the go command is not installed" "install Go (the machine image has Go 1.26)"
}

# have_version BIN PATTERN : true if "$BIN --version" output contains PATTERN.
# The output is read whole before it is searched: with pipefail, a grep -q
# that exits at its first match could make the binary die of SIGPIPE on its
# next line and the check fail; a cached etcd was once rebuilt for that.
have_version() {
  local out
  [ -x "$1" ] || return 1
  out="$("$1" --version 2>/dev/null)" || return 1
  grep -qF -- "$2" <<<"$out"
}

# wrapper_dir NAME : create (once) a wrapper module directory and echo its path.
wrapper_dir() {
  local d="$SRC/$1"
  mkdir -p "$d"
  printf '%s\n' "$d"
}

# go_build_into NAME WRAPPERDIR LOG PKG LDFLAGS : build PKG into a temp file, move into $BIN/NAME.
go_build_into() {
  local name="$1" dir="$2" log="$3" pkg="$4" ldflags="$5" t0 tmp
  t0="$(now_s)"
  tmp="$BIN/.$name.tmp.$$"
  step "$PART" "building $name (log $log)"
  if ! (cd "$dir" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") >>"$log" 2>&1; then
    rm -f "$tmp"
    tail -n 15 "$log" >&2
    die "$PART" "go build $pkg failed (log $log)" "fix the error above and re-run '$0 up' (finished binaries are kept)"
  fi
  mv -f "$tmp" "$BIN/$name"
  step "$PART" "built $name in $(fmt_duration $(( $(now_s) - t0 )))"
}

# k8s_wrapper : write the wrapper go.mod for k8s.io/kubernetes@$K8S_VERSION,
# replacing each staging module (./staging/src/k8s.io/X at v0.0.0 upstream)
# with its published v0.MINOR.PATCH, generated from the downloaded go.mod.
k8s_wrapper() {
  local dir="$1" log="$2" gomod staging_ver tmp
  [ -s "$dir/go.sum" ] && [ -s "$dir/go.mod" ] && return 0
  gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" 2>>"$log" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [ -s "$gomod" ] || { tail -n 15 "$log" >&2; die "$PART" "could not download k8s.io/kubernetes@$K8S_VERSION (log $log)" "check that the Go module proxy serves it: go list -m -versions k8s.io/kubernetes"; }
  staging_ver="v0.${K8S_VERSION#v1.}"
  tmp="$(mktemp -d "$SRC/.k8s-wrapper.XXXXXX")"
  # The upstream godebug defaults keep the runtime behaviour the release was tested with.
  {
    echo "module pinned.local/kubernetes-build"
    echo
    echo "go 1.26.0"
    echo
    grep '^godebug ' "$gomod" || true
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    go mod edit -json "$gomod" | python3 -c '
import json, sys
ver = sys.argv[1]
for r in json.load(sys.stdin).get("Replace") or []:
    new = r["New"]["Path"]
    if new.startswith("./staging/src/"):
        print("\t%s => %s %s" % (r["Old"]["Path"], r["Old"]["Path"], ver))
' "$staging_ver"
    echo ")"
  } >"$tmp/go.mod"
  grep -q '=> k8s.io/api ' "$tmp/go.mod" || { rm -rf "$tmp"; die "$PART" "found no staging replaces in $gomod" "inspect that go.mod; the wrapper generation expects ./staging/src/… replaces"; }
  # Resolve the package graph of the three commands (fills go.sum).
  (cd "$tmp" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION") >>"$log" 2>&1 \
    || {
      local unserved
      unserved="$(grep -o 'k8s.io/[a-z0-9-]*@v0[.0-9]*: reading [^ ]*: 40[34]' "$log" | cut -d: -f1 | sort -u | tr '\n' ' ')"
      tail -n 15 "$log" >&2; rm -rf "$tmp"
      if [ -n "$unserved" ]; then
        die "$PART" "the Go module proxy does not serve these staging modules of Kubernetes $K8S_VERSION: $unserved(log $log)" \
          "pick a K8S_VERSION in $0 whose staging modules are all served (go list -m -versions k8s.io/<module>)"
      fi
      die "$PART" "could not resolve the Kubernetes $K8S_VERSION modules (log $log)" "read the log; re-run '$0 up' after fixing"
    }
  mkdir -p "$dir"
  mv -f "$tmp/go.mod" "$dir/go.mod"
  mv -f "$tmp/go.sum" "$dir/go.sum"
  rm -rf "$tmp"
}

# build_k8s_commands LOG CMD... : build the named k8s.io/kubernetes/cmd/<CMD>
# binaries that are missing (or of another version) into $BIN, from the
# wrapper module, with the version stamped as a release build would.
build_k8s_commands() {
  local log="$1"; shift
  local c missing=()
  for c in "$@"; do
    have_version "$BIN/$c" "Kubernetes $K8S_VERSION" || missing+=("$c")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  go_env
  local dir minor pkgs ld
  dir="$(wrapper_dir "kubernetes-$K8S_VERSION")"
  mkdir -p "$(dirname "$log")"; : >"$log"
  step "$PART" "Kubernetes $K8S_VERSION: building ${missing[*]} (tens of minutes on 2 cores with a cold Go build cache)"
  k8s_wrapper "$dir" "$log"
  # A wrapper made for other commands lacks the go.sum lines of this one's
  # packages (the kubelet adds a few modules); resolving it only adds lines.
  for c in "${missing[@]}"; do
    (cd "$dir" && go get "k8s.io/kubernetes/cmd/$c@$K8S_VERSION") >>"$log" 2>&1 \
      || { tail -n 15 "$log" >&2; die "$PART" "could not resolve k8s.io/kubernetes/cmd/$c@$K8S_VERSION (log $log)" "read the log; re-run '$0 up' after fixing"; }
  done
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ld="-s -w"
  for pkgs in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkgs.gitVersion=$K8S_VERSION -X $pkgs.gitMajor=1 -X $pkgs.gitMinor=$minor"
    ld+=" -X $pkgs.gitTreeState=clean -X $pkgs.buildDate=1970-01-01T00:00:00Z"
  done
  for c in "${missing[@]}"; do
    go_build_into "$c" "$dir" "$log" "k8s.io/kubernetes/cmd/$c" "$ld"
  done
}

# ---------------------------------------------------------------- certificates

# sign NAME SUBJECT EXT : EC key + certificate NAME.{key,crt} in the current
# directory, signed by ca.{key,crt}, valid 10 years.
sign() {
  local name="$1" subj="$2" ext="$3"
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -sha256 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}


kc() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" --request-timeout=10s "$@"; }
