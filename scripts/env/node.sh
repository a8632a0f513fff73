#!/usr/bin/env bash
# node.sh up|status|down|build|check — a real node for the control plane of
# cluster.sh: a kubelet built from the same k8s.io/kubernetes release,
# Debian's containerd and runc, and Debian's CNI plugins. Pods run as real
# containers in network namespaces this script's runtime creates, joined by one
# local bridge; nothing is routed or NATed off the machine.
#
# Cached and created:
#   $CACHE/bin/{kubelet,pause}           built with Go (kubelet: the wrapper module of cluster.sh)
#   $CACHE/run/node/containerd/          config.toml, root/, state/, socket, certs.d/ (registry hosts)
#   $CACHE/run/node/cni/                 net.d/ (the bridge network), ipam/ (address leases)
#   $CACHE/run/node/kubelet/             root dir, config.yaml, kubeconfig
#   $CACHE/run/node/pki/                 the node's client and serving certificates (cluster CA)
#   $CACHE/run/node/*.pid, *.log         processes this script started, their logs
# up:     install the Debian packages if missing, build what is missing, create
#         the bridge, start containerd and the kubelet, wait for the node to be
#         Ready, then taint the simulated node so pods land on the real one.
#         Where a kubelet cannot run here (not root, no cgroups, no network
#         namespaces or bridges), it says why, leaves the simulated node as
#         the fallback and exits 0.
# status: one line; exit 1 unless the node is Ready (or says why it cannot run).
#         Before the kubelet first starts, records the host settings it and
#         the CNI plugins change (host-lib.sh, $CACHE/run/host-before.env).
# down:   lets the kubelet stop its pods, stops the kubelet and containerd (by
#         recorded PID), removes what is left of their containers, network
#         namespaces and mounts, the bridge; puts back the sysctls the kubelet
#         set, removes the KUBE-*/CNI-* iptables chains and the directories and
#         cgroups that were not there before, and, once no Docker daemon env up
#         started runs, forwarding and the FORWARD policy; untaints the
#         simulated node; prints what it leaves.
# build:  only build the kubelet and the pause binary.
# check:  smoke test: a restricted Deployment of the base image pulled by digest
#         with a pull Secret becomes Ready and answers HTTP on its pod IP;
#         kubectl logs, exec and port-forward work; a container that exits at
#         once reaches CrashLoopBackOff (namespace pinned-node-check-<random>,
#         deleted afterwards).
#
# Addresses: the kubelet serves on the bridge address ($NODE_IP:$KUBELET_PORT,
# where the API server reaches it) and its health check on 127.0.0.1;
# containerd's streaming server (exec, port-forward) on 127.0.0.1; nothing
# else listens. Pods get addresses in $POD_SUBNET on bridge $BRIDGE, with no
# default route and no NAT: the host reaches them, they reach each other and
# the host, nothing beyond.
#
# Settings (environment): PINNED_KUBELET_PORT (10250),
# PINNED_KUBELET_HEALTHZ_PORT (10248), and cluster.sh's PINNED_APISERVER_PORT.
#
# Measured here (2 cores, another test run alongside):
#   kubelet build, warm module cache, Go build cache warm from the control
#   plane's binaries: 36 s (8 s resolving its packages, 28 s building);
#   with an empty Go build cache (nice 19): 7m12s;
#   first 'up' with the kubelet already built (apt-get install of the CNI
#   plugins, certificates, a new containerd root): 20 s to a Ready node;
#   warm 'up' after 'down': 2-3 s to a Ready node; 'down' with a few pods: 7-32 s;
#   check: the first pod Ready 5 s after creation with the base image pulled
#   cold, 1 s warm (the app image: 1.9 s).
set -euo pipefail
PART=node
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh"
# shellcheck source-path=SCRIPTDIR source=host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

NODE_NAME="pinned-node-0"
SIMULATED_NODE="kwok-node-0"                  # cluster.sh's kwok node
SIMULATED_TAINT="node.pinned.local/simulated" # the same key cluster.sh's check tolerates
# The pods' subnet: clear of the control plane's POD_CIDR (10.244.0.0/24, the
# simulated node's bookkeeping), SERVICE_CIDR (10.96.0.0/16) and Docker's
# default 172.17.0.0/16. up refuses it if any route on the machine overlaps.
BRIDGE="pinned0"
POD_SUBNET="10.245.0.0/24"
NODE_IP="10.245.0.1"   # the bridge's own address: node IP, pods' gateway to the host
KUBELET_PORT="${PINNED_KUBELET_PORT:-10250}"
KUBELET_HEALTHZ_PORT="${PINNED_KUBELET_HEALTHZ_PORT:-10248}"
for _v in KUBELET_PORT KUBELET_HEALTHZ_PORT; do
  case "${!_v}" in ''|*[!0-9]*) die "$PART" "port setting $_v='${!_v}' is not a number" "set it to a free TCP port" ;; esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$CACHE/run/node"
NPKI="$RUN/pki"
CTRD="$RUN/containerd"
SOCK="$CTRD/containerd.sock"
CNI="$RUN/cni"
KROOT="$RUN/kubelet"
CNI_BIN="/usr/lib/cni"
PAUSE_NAME="pinned.local/pause"
UNAVAILABLE="$RUN/unavailable"   # one line: why a kubelet cannot run here

# ---------------------------------------------------------------- checks

# why_no_kubelet : print why a kubelet cannot run on this machine (empty: it can).
why_no_kubelet() {
  [ "$(id -u)" -eq 0 ] || { echo "not root (the kubelet and containerd need root)"; return; }
  [ "$(uname -s)" = Linux ] || { echo "not Linux"; return; }
  if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/memory ]; then
    echo "no cgroup hierarchy with a memory controller under /sys/fs/cgroup"; return
  fi
  [ -e /dev/kmsg ] || { echo "no /dev/kmsg (the kubelet's OOM watcher reads it)"; return; }
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    if ! ip link add pinned-probe0 type bridge 2>/dev/null; then
      echo "cannot create a network bridge (no CAP_NET_ADMIN or no bridge support)"; return
    fi
    ip link del pinned-probe0 2>/dev/null || true
  fi
  if ! unshare --net true 2>/dev/null; then
    echo "cannot create network namespaces (unshare --net failed)"; return
  fi
}

# subnet_clash : print the machine's routes that overlap $POD_SUBNET (other than our bridge's).
subnet_clash() {
  python3 - "$POD_SUBNET" "$BRIDGE" <<'PY'
import ipaddress, subprocess, sys
mine = ipaddress.ip_network(sys.argv[1])
for line in subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout.splitlines():
    words = line.split()
    if not words or words[0] in ("default", "broadcast", "local", "unreachable", "prohibit", "blackhole"):
        continue
    if "dev" in words and words[words.index("dev") + 1] == sys.argv[2]:
        continue
    try:
        net = ipaddress.ip_network(words[0], strict=False)
    except ValueError:
        continue
    if net.overlaps(mine):
        print(line)
PY
}

# ---------------------------------------------------------------- building

build_kubelet() {
  build_k8s_commands "$RUN/build-kubelet.log" kubelet
}

# build_pause : the sandbox container's program (scripts/env/node/pause),
# static; rebuilt when its source changes.
build_pause() {
  local sum; sum="$(cat "$HERE/node/pause/go.mod" "$HERE/node/pause/main.go" | sha256sum | cut -c1-16)"
  [ -x "$BIN/pause" ] && [ "$(cat "$BIN/pause.source" 2>/dev/null)" = "$sum" ] && return 0
  go_env
  mkdir -p "$RUN"
  go_build_into pause "$HERE/node/pause" "$RUN/build-pause.log" . "-s -w -buildid="
  printf '%s\n' "$sum" >"$BIN/pause.source"
}

cmd_build() {
  local t0; t0="$(now_s)"
  mkdir -p "$BIN" "$SRC" "$RUN"
  build_kubelet
  build_pause
  step "$PART" "binaries ready in $BIN ($(fmt_duration $(( $(now_s) - t0 ))))"
}

# ---------------------------------------------------------------- pause image

# pause_layout DIR : write an OCI image layout of the pause program into DIR
# (FROM scratch: one layer holding /pause; no timestamps, so the same binary
# always gives the same digest) and print the manifest digest.
pause_layout() {
  local dir="$1" arch layer config manifest
  arch="$(go env GOARCH 2>/dev/null || echo amd64)"
  mkdir -p "$dir/rootfs" "$dir/blobs/sha256"
  install -m 0755 "$BIN/pause" "$dir/rootfs/pause"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=ustar \
    -cf "$dir/layer.tar" -C "$dir/rootfs" pause
  layer="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  mv "$dir/layer.tar" "$dir/blobs/sha256/$layer"
  # User 65535: the sandbox needs no privileges (as upstream's pause image).
  printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$layer" >"$dir/config.json"
  config="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config" "$(stat -c %s "$dir/config.json")" "$layer" "$(stat -c %s "$dir/blobs/sha256/$layer")" >"$dir/manifest.json"
  manifest="$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/blobs/sha256/$config"
  # The image's name carries its digest: containerd's CRI resolves the
  # sandbox_image reference by name, and that name is then immutable.
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s@sha256:%s"}}]}' \
    "$manifest" "$(stat -c %s "$dir/manifest.json")" "$arch" "$PAUSE_NAME" "$manifest" >"$dir/index.json"
  mv "$dir/manifest.json" "$dir/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  rm -rf "$dir/rootfs"
  printf 'sha256:%s\n' "$manifest"
}

# pause_ref : the sandbox image reference (name@digest) for the current pause binary.
pause_ref() {
  local tmp digest
  tmp="$(mktemp -d "$RUN/.pause.XXXXXX")"
  digest="$(pause_layout "$tmp")"
  rm -rf "$tmp"
  printf '%s@%s\n' "$PAUSE_NAME" "$digest"
}

ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

# import_pause REF : import the pause image into containerd's k8s.io namespace unless present.
import_pause() {
  local ref="$1" tmp
  ctr_ images ls -q 2>/dev/null | grep -qxF "$ref" && return 0
  tmp="$(mktemp -d "$RUN/.pause.XXXXXX")"
  pause_layout "$tmp" >/dev/null
  (cd "$tmp" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf ../pause-image.tar oci-layout index.json blobs)
  rm -rf "$tmp"
  ctr_ images import "$RUN/pause-image.tar" >>"$RUN/containerd.log" 2>&1 \
    || die "$PART" "could not import the pause image into containerd (log $RUN/containerd.log)" "read the log; '$0 down' then '$0 up' starts over"
  rm -f "$RUN/pause-image.tar"
  step "$PART" "imported sandbox image $ref"
}

# ---------------------------------------------------------------- certificates

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

# ---------------------------------------------------------------- configuration

write_if_changed() {  # FILE : stdin into FILE unless identical
  local file="$1" tmp
  mkdir -p "$(dirname "$file")"
  tmp="$(mktemp "$file.XXXXXX")"
  cat >"$tmp"
  if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv -f "$tmp" "$file"; fi
}

write_containerd_config() {
  local sandbox="$1"
  # The registry: plain HTTP on loopback, pulls by digest only need pull+resolve.
  write_if_changed "$CTRD/certs.d/127.0.0.1:5000/hosts.toml" <<EOF
server = "http://127.0.0.1:5000"

[host."http://127.0.0.1:5000"]
  capabilities = ["pull", "resolve"]
EOF
  # Its own root, state and socket so it never meets Docker's containerd.
  # restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, and runc fails
  # to lower a sandbox's OOM score below containerd's own without it.
  # runc's Root is explicit (it would otherwise share /run/containerd/runc).
  # The opt plugin is disabled: it would create /opt/containerd.
  write_if_changed "$CTRD/config.toml" <<EOF
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$SOCK"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$sandbox"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$CNI/net.d"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$CTRD/certs.d"
EOF
}

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

write_kubelet_config() {
  write_if_changed "$KROOT/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pinned
  cluster:
    server: $SERVER
    certificate-authority: $PKI/ca.crt
users:
- name: system:node:$NODE_NAME
  user:
    client-certificate: $NPKI/kubelet-client.crt
    client-key: $NPKI/kubelet-client.key
contexts:
- name: pinned
  context: {cluster: pinned, user: "system:node:$NODE_NAME"}
current-context: pinned
EOF
  # cgroupfs: PID 1 is not systemd. No swap here; failSwapOn stays on.
  # Image GC would remove the pause image (not pinned by containerd 1.6), so
  # it only starts when the disk is nearly full.
  write_if_changed "$KROOT/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $NPKI/kubelet-serving.crt
tlsPrivateKeyFile: $NPKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
failSwapOn: true
enableServer: true
rotateCertificates: false
serverTLSBootstrap: false
registerNode: true
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
maxPods: 30
podPidsLimit: 1024
enableProfilingHandler: false
enableDebuggingHandlers: true
logging: {format: text}
EOF
}

# ---------------------------------------------------------------- host

# The sysctls the kubelet sets at start unless protectKernelDefaults is on
# (then it refuses to start where they differ, as here: overcommit_memory 0,
# panic 1, panic_on_oops 0), so they are recorded and put back instead.
KUBELET_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"
# Directories the kubelet, containerd and the CNI plugins create whatever
# their root dirs are: pod logs and their links, device-plugin sockets,
# network namespace mounts, shim sockets, the CNI result cache.
NODE_PATHS="/var/log/pods /var/log/containers /var/lib/kubelet /var/lib/cni /run/netns /run/containerd"

# record_host : before the kubelet and containerd first start (host-lib.sh).
record_host() {
  bg_alive "$pid_kubelet" kubelet && return 0
  bg_alive "$pid_containerd" containerd && return 0
  import_old_record
  # A dockerd that docker.sh started has changed the shared settings
  # already; it recorded them before it started (or, started by an older
  # env up, did not, and then they stay unrecorded).
  bg_alive "$HOST_DOCKERD_PID" dockerd || host_record_shared
  host_record_iptables
  # shellcheck disable=SC2086  # lists of names
  host_record_sysctl $KUBELET_SYSCTLS
  host_record_link "$BRIDGE"
  local d
  # shellcheck disable=SC2086
  host_record_path $NODE_PATHS /sys/fs/cgroup/kubepods
  for d in /sys/fs/cgroup/*/; do host_record_path "${d}kubepods"; done
}

# import_old_record : an older node.sh kept its record in $RUN/host-before
# ("sysctl vm/overcommit_memory 0", "absent PATH", "chain4 TABLE CHAIN");
# its values are the ones before that kubelet started.
import_old_record() {
  local old="$RUN/host-before" kind a b v t
  [ -s "$old" ] || return 0
  while read -r kind a b; do
    case "$kind" in
      sysctl) host_put "sysctl.${a//\//.}" "$b" ;;
      absent) host_put "path.$a" absent ;;
    esac
  done <"$old"
  for v in 4 6; do
    for t in $HOST_TABLES; do
      host_put "chains$v.$t" "$(awk -v k="chain$v" -v t="$t" '$1 == k && $2 == t { printf "%s%s", s, $3; s = " " }' "$old")"
    done
  done
  rm -f "$old"
}

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge || die "$PART" "could not create bridge $BRIDGE" "check 'ip link add $BRIDGE type bridge' by hand"
    step "$PART" "created bridge $BRIDGE"
  fi
  ip -4 addr show dev "$BRIDGE" | grep -qF " $NODE_IP/" || ip addr add "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

# ---------------------------------------------------------------- processes

pid_containerd="$RUN/containerd.pid"
pid_kubelet="$RUN/kubelet.pid"

containerd_up() { ctr --address "$SOCK" version >/dev/null 2>&1; }
# cri_up: the CRI's Version call (gRPC over HTTP/2, an empty message) answers
# status 0. ctr answers as soon as containerd listens, but the CRI refuses
# calls ("server is not initialized yet") until it has recovered the state
# of earlier pods — 0.4 s after a reboot here — and a kubelet started in
# between exits at once.
cri_up() {
  printf '\0\0\0\0\0' | curl -s -m 3 --http2-prior-knowledge --unix-socket "$SOCK" -X POST \
    -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- -D - -o /dev/null \
    http://localhost/runtime.v1.RuntimeService/Version 2>/dev/null | tr -d '\r' | grep -qx 'grpc-status: 0'
}
kubelet_healthy() { [ "$(curl -s -m 3 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" 2>/dev/null)" = ok ]; }
# kubelet_started: healthy, or die at once (not at the timeout) when it exited.
kubelet_started() {
  kubelet_healthy && return 0
  bg_alive "$pid_kubelet" kubelet && return 1
  tail -n 12 "$RUN/kubelet.log" >&2
  die "$PART" "the kubelet exited while starting (log $RUN/kubelet.log)" "read the log; '$0 down' then '$0 up' starts over (the simulated node stays in use meanwhile)"
}
node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# wait_for WHAT TIMEOUT_S LOG CMD... : poll CMD every 0.5 s; die with LOG's tail.
wait_for() {
  local what="$1" timeout="$2" log="$3" _; shift 3
  for _ in $(seq 1 $((timeout * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  tail -n 12 "$log" >&2
  die "$PART" "timed out after ${timeout}s waiting for $what (log $log)" "read the log; '$0 down' then '$0 up' starts over (the simulated node stays in use meanwhile)"
}

# start_daemon NAME PIDFILE WANT CMD... : start NAME unless this script's
# instance runs with the same settings (WANT); restart it when they changed.
start_daemon() {
  local name="$1" pidfile="$2" want="$3"; shift 3
  local log="$RUN/$name.log" argsfile="$RUN/$name.args"
  if bg_alive "$pidfile" "$name"; then
    [ "$(cat "$argsfile" 2>/dev/null)" = "$want" ] && return 0
    step "$PART" "$name: settings changed; restarting it"
    bg_stop "$PART" "$pidfile" "$name" 30 >/dev/null
  fi
  if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 20000000 ]; then mv -f "$log" "$log.1"; fi
  printf '\n==== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"
  bg_start "$pidfile" "$log" "$@" || die "$PART" "could not launch $name" "see $log"
  printf '%s\n' "$want" >"$argsfile"
  step "$PART" "$name started (PID $(cat "$pidfile"), log $log)"
}

# taint_simulated on|off : keep pods off the simulated node while a real one
# is Ready. NoExecute also moves pods already there (kwok removes them at
# once and their controllers make new ones here), so exactly one node runs
# workloads; removing the taint makes the simulated node the fallback again.
taint_simulated() {
  kc get node "$SIMULATED_NODE" >/dev/null 2>&1 || return 0
  if [ "$1" = on ]; then
    kc taint node "$SIMULATED_NODE" "$SIMULATED_TAINT=real-node-ready:NoExecute" --overwrite >/dev/null
  else
    kc taint node "$SIMULATED_NODE" "$SIMULATED_TAINT:NoExecute-" >/dev/null 2>&1 || true
  fi
}

cmd_up() {
  local t0 why ref; t0="$(now_s)"
  mkdir -p "$RUN"
  why="$(why_no_kubelet)"
  if [ -n "$why" ]; then
    printf '%s\n' "$why" >"$UNAVAILABLE"
    taint_simulated off
    step "$PART" "a kubelet cannot run here: $why — the simulated node $SIMULATED_NODE stays in use (fallback)"
    return 0
  fi
  rm -f "$UNAVAILABLE"
  local clash; clash="$(subnet_clash)"
  [ -z "$clash" ] || die "$PART" "the pod subnet $POD_SUBNET overlaps a route on this machine: $clash" "change POD_SUBNET/NODE_IP in $0 to a free private range"
  command -v kubectl >/dev/null 2>&1 || die "$PART" "kubectl is not installed" "install kubectl 1.32–1.34"
  kc get --raw /readyz >/dev/null 2>&1 || die "$PART" "the API server at $SERVER does not answer" "run scripts/env/cluster.sh up first"
  apt_ensure "$PART" containerd runc containernetworking-plugins iptables curl
  mkdir -p "$BIN" "$SRC"
  build_kubelet
  build_pause
  ensure_node_pki
  ref="$(pause_ref)"
  write_containerd_config "$ref"
  write_cni_config
  write_kubelet_config
  record_host
  ensure_bridge
  # The API server's kubelet client (cluster.sh) may call the kubelet API.
  kc apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "pinned:kube-apiserver-kubelet-client"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
EOF
  start_daemon containerd "$pid_containerd" "$(containerd --version) $(sha256sum <"$CTRD/config.toml")" \
    containerd --config "$CTRD/config.toml"
  wait_for "containerd to answer on $SOCK" 30 "$RUN/containerd.log" containerd_up
  wait_for "containerd's CRI to answer on $SOCK" 60 "$RUN/containerd.log" cri_up
  import_pause "$ref"
  local kwant
  kwant="$("$BIN/kubelet" --version) $(cat "$KROOT/config.yaml" "$KROOT/kubeconfig" "$CNI/net.d/10-pinned.conflist" "$NPKI/.ca" | sha256sum)"
  start_daemon kubelet "$pid_kubelet" "$kwant" \
    "$BIN/kubelet" --config="$KROOT/config.yaml" --kubeconfig="$KROOT/kubeconfig" --root-dir="$KROOT" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --node-labels=node.pinned.local/real=true --v=1
  wait_for "the kubelet's health check on 127.0.0.1:$KUBELET_HEALTHZ_PORT" 60 "$RUN/kubelet.log" kubelet_started
  wait_for "node $NODE_NAME to be Ready" 120 "$RUN/kubelet.log" node_ready
  taint_simulated on
  step "$PART" "node $NODE_NAME Ready at $NODE_IP (kubelet $K8S_VERSION, $(containerd --version | cut -d' ' -f3)); $SIMULATED_NODE tainted $SIMULATED_TAINT:NoExecute ($(fmt_duration $(( $(now_s) - t0 ))))"
}

cmd_status() {
  local what="kubelet $K8S_VERSION + containerd on bridge $BRIDGE ($NODE_IP)"
  if [ -s "$UNAVAILABLE" ]; then
    echo "$PART: a kubelet cannot run here: $(cat "$UNAVAILABLE") — fallback: the simulated node $SIMULATED_NODE takes pods"
    return 1
  fi
  local down=()
  bg_alive "$pid_containerd" containerd && containerd_up || down+=(containerd)
  bg_alive "$pid_kubelet" kubelet && kubelet_healthy || down+=(kubelet)
  if [ "${#down[@]}" -gt 0 ]; then
    echo "$PART: $what: not running or unhealthy: ${down[*]} — unhealthy; run scripts/env/node.sh up"
    return 1
  fi
  if ! node_ready; then
    echo "$PART: $what: node $NODE_NAME not Ready — unhealthy; see $RUN/kubelet.log, or run scripts/env/node.sh up"
    return 1
  fi
  local pods
  pods="$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" --no-headers 2>/dev/null | wc -l)"
  echo "$PART: $what, node $NODE_NAME Ready, $pods pod(s), $SIMULATED_NODE tainted, 2/2 processes started by this script — healthy"
}

# ---------------------------------------------------------------- down

# drain_node : let the kubelet stop its pods (sandboxes, CNI teardown,
# volume unmounts) while it still runs: the simulated node takes new pods
# again, the real one is cordoned, its pods are deleted.
drain_node() {
  kc get node "$NODE_NAME" >/dev/null 2>&1 || return 0
  kc cordon "$NODE_NAME" >/dev/null 2>&1 || true
  bg_alive "$pid_kubelet" kubelet || return 0
  local n _
  n="$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" --no-headers 2>/dev/null | wc -l)"
  [ "$n" -eq 0 ] && return 0
  step "$PART" "stopping $n pod(s) on $NODE_NAME"
  kc delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period=5 --wait=false >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do
    [ "$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" --no-headers 2>/dev/null | wc -l)" -eq 0 ] && break
    sleep 0.5
  done
  # Sandboxes of deleted pods go a moment after the pods do.
  for _ in $(seq 1 20); do
    [ -z "$(ctr_ tasks ls -q 2>/dev/null)" ] && break
    sleep 0.5
  done
}

# leftovers : remove what the runtime left (tasks, containers, network
# namespaces, mounts under $RUN); containerd must still run for the first two.
leftovers() {
  local id ns m
  if containerd_up; then
    for id in $(ctr_ containers ls -q 2>/dev/null); do
      ns="$(ctr_ containers info "$id" 2>/dev/null | sed -n 's/.*"path": "\(\/var\/run\/netns\/[^"]*\|\/run\/netns\/[^"]*\)".*/\1/p' | head -n1)"
      ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1 || true
      ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true
      ctr_ containers delete "$id" >/dev/null 2>&1 || true
      if [ -n "$ns" ] && [ -e "$ns" ]; then umount "$ns" 2>/dev/null || true; rm -f "$ns"; fi
    done
  fi
  # Mounts below our own directories (projected volumes, rootfs), deepest first.
  awk -v run="$RUN/" 'index($5, run) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

# restore_host : after the kubelet and containerd stopped: put back what
# they changed and remove what they made (only what the record shows was
# not there before); one line each.
restore_host() {
  import_old_record
  # shellcheck disable=SC2086  # a list of names
  host_restore_sysctl "$PART" $KUBELET_SYSCTLS
  # The kubelet's KUBE-* chains, the CNI firewall plugin's CNI-* chains.
  host_remove_chains "$PART" 'KUBE-.*|CNI-.*'
  host_remove_iface_rules "$PART" "$BRIDGE"
  # The bridge is this script's whatever the record says (ensure_bridge
  # makes it, under this name).
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link del "$BRIDGE" && step "$PART" "removed network interface $BRIDGE"
  fi
  host_drop "link.$BRIDGE"
  remove_cni_results
  local p
  for p in $NODE_PATHS; do
    case "$p" in
      /var/log/*|/var/lib/kubelet) host_remove_path "$PART" "$p" tree || true ;;
      # A Docker daemon env up started makes it again for its shims; its
      # env down removes it then.
      /run/containerd) bg_alive "$HOST_DOCKERD_PID" dockerd || host_remove_containerd_dir "$PART" || true ;;
      *) host_remove_path "$PART" "$p" dir || true ;;
    esac
  done
  host_remove_cgroups "$PART" kubepods
  NODE_LEFT=()
  for p in $NODE_PATHS; do
    [ -e "$p" ] || continue
    case "$(host_get "path.$p")" in
      absent) NODE_LEFT+=("$p (still in use)") ;;
      present) NODE_LEFT+=("$p (there before the first start)") ;;
      *) NODE_LEFT+=("$p (no record of the host before the first start)") ;;
    esac
  done
  host_restore_shared "$PART" "the Docker daemon env up started"
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

cmd_down() {
  drain_node
  taint_simulated off
  bg_stop "$PART: kubelet" "$pid_kubelet" kubelet 30
  leftovers
  bg_stop "$PART: containerd" "$pid_containerd" containerd 30
  # The Node object would stay NotReady; the kubelet registers it again on up.
  kc delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 && step "$PART" "deleted node $NODE_NAME from the API"
  restore_host
  rm -rf "$CNI/ipam" "$RUN/host-left"
  NODE_LEFT+=("the Debian packages containerd, runc, containernetworking-plugins, iptables; the kubelet, images and pod data under $RUN (caches for the next env up)")
  step "$PART" "left: $(printf '%s; ' "${NODE_LEFT[@]}" | sed 's/; $//')"
}

# ---------------------------------------------------------------- check

# pull_secret_file FILE : write a .dockerconfigjson for the embedded registry
# into FILE, from $CACHE/registry-credentials: its pull-only user (a file
# from before that user has the push one only); the password never appears
# on a command line or in the environment (python reads the file itself).
pull_secret_file() {
  python3 - "$CACHE/registry-credentials" "$1" <<'PY'
import base64, json, os, sys
creds = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[1]) if "=" in line)
user, password = creds.get("REGISTRY_PULL_USER"), creds.get("REGISTRY_PULL_PASSWORD")
if not (user and password):
    user, password = creds["REGISTRY_USER"], creds["REGISTRY_PASSWORD"]
auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump({"auths": {creds["REGISTRY"]: {"auth": auth}}}, f)
PY
}

# check_image : the image the check runs, by digest: PINNED_NODE_CHECK_IMAGE,
# else the base image base-image.sh built (python3, in the embedded registry).
check_image() {
  local ref="${PINNED_NODE_CHECK_IMAGE:-}"
  [ -n "$ref" ] || ref="$(sed -n 's/^BASE_REF=//p' "$CACHE/base-image.env" 2>/dev/null)"
  case "$ref" in
    *@sha256:*) printf '%s\n' "$ref" ;;
    '') die "$PART" "no image to run: $CACHE/base-image.env has no BASE_REF" "run scripts/env/base-image.sh up, or set PINNED_NODE_CHECK_IMAGE=<repo>@sha256:<digest>" ;;
    *) die "$PART" "the check's image '$ref' is not a digest reference" "set PINNED_NODE_CHECK_IMAGE=<repo>@sha256:<digest>" ;;
  esac
}

# check : a restricted pod of a registry image by digest runs for real.
cmd_check() {
  local ns t0 t1 image token tmp pod ip out pf pfpid port _
  t0="$(now_s)"
  node_ready || die "$PART" "node $NODE_NAME is not Ready" "run $0 up (and $0 status)"
  image="$(check_image)"
  ns="pinned-node-check-$(od -An -tx1 -N3 /dev/urandom | tr -d ' \n')"
  token="pinned-node-check-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"
  # The pull secret's file holds the registry password: removed on every path, a failed create secret included.
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064  # expand $tmp now
  trap "rm -rf '$tmp'" EXIT
  kc create namespace "$ns" >/dev/null
  # shellcheck disable=SC2064  # expand $ns and $tmp now
  trap "rm -rf '$tmp'; kc delete namespace $ns --wait=false >/dev/null 2>&1 || true" EXIT
  pull_secret_file "$tmp/config.json"
  kc -n "$ns" create secret generic registry --type=kubernetes.io/dockerconfigjson \
    --from-file=.dockerconfigjson="$tmp/config.json" >/dev/null
  rm -rf "$tmp"
  local restricted='securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}'
  local container_sc='securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}'
  t1="$(now_s)"
  kc -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      imagePullSecrets: [{name: registry}]
      automountServiceAccountToken: false
      $restricted
      containers:
      - name: web
        image: $image
        command: [python3, -c]
        args:
        - |
          import http.server
          class H(http.server.BaseHTTPRequestHandler):
              def do_GET(self):
                  self.send_response(200); self.end_headers(); self.wfile.write(b"$token")
          print("listening on 8080", flush=True)
          http.server.HTTPServer(("", 8080), H).serve_forever()
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2}
        $container_sc
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  imagePullSecrets: [{name: registry}]
  automountServiceAccountToken: false
  $restricted
  containers:
  - name: crash
    image: $image
    command: [python3, -c, "import sys; print('exiting at once'); sys.exit(3)"]
    $container_sc
EOF
  kc -n "$ns" rollout status deployment/web --timeout=180s >/dev/null \
    || die "$PART" "deployment $ns/web did not become Ready" "kubectl --kubeconfig $KUBECONFIG_ADMIN -n $ns describe pods; see $RUN/kubelet.log and $RUN/containerd.log"
  pod="$(kc -n "$ns" get pods -l app=web -o jsonpath='{.items[0].metadata.name}')"
  step "$PART" "pod $ns/$pod Ready in $(fmt_duration $(( $(now_s) - t1 ))) (image $image)"
  [ "$(kc -n "$ns" get pod "$pod" -o jsonpath='{.spec.nodeName}')" = "$NODE_NAME" ] \
    || die "$PART" "pod $pod runs on $(kc -n "$ns" get pod "$pod" -o jsonpath='{.spec.nodeName}'), not on $NODE_NAME" "check the taint on $SIMULATED_NODE (kubectl describe node $SIMULATED_NODE)"
  ip="$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.podIP}')"
  out="$(curl -s -m 5 "http://$ip:8080/")" || true
  [ "$out" = "$token" ] || die "$PART" "HTTP to the pod at $ip:8080 answered '$out', not '$token'" "check bridge $BRIDGE (ip addr show $BRIDGE) and the pod's log"
  step "$PART" "HTTP to pod IP $ip:8080 on $BRIDGE answers"
  kc -n "$ns" logs "$pod" | grep -q "listening on 8080" || die "$PART" "kubectl logs $pod did not show the server's output" "see $RUN/kubelet.log (the API server reaches the kubelet at $NODE_IP:$KUBELET_PORT)"
  step "$PART" "kubectl logs works"
  out="$(kc -n "$ns" exec "$pod" -- python3 -c 'import os; print(os.getuid(), os.getgid())')" || true
  [ "$out" = "65534 65534" ] || die "$PART" "kubectl exec answered '$out', not '65534 65534'" "see $RUN/kubelet.log and $RUN/containerd.log"
  step "$PART" "kubectl exec works (uid/gid $out)"
  pf="$(mktemp)"
  kubectl --kubeconfig "$KUBECONFIG_ADMIN" -n "$ns" port-forward --address 127.0.0.1 "pod/$pod" :8080 >"$pf" 2>&1 &
  pfpid=$!
  port=""
  for _ in $(seq 1 40); do
    port="$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) .*/\1/p' "$pf")"
    [ -n "$port" ] && break
    sleep 0.25
  done
  out=""
  if [ -n "$port" ]; then out="$(curl -s -m 5 "http://127.0.0.1:$port/" || true)"; fi
  kill "$pfpid" 2>/dev/null || true
  wait "$pfpid" 2>/dev/null || true
  rm -f "$pf"
  [ "$out" = "$token" ] || die "$PART" "port-forward to $pod answered '$out' (local port '${port:-none}'), not '$token'" "see $RUN/kubelet.log and $RUN/containerd.log"
  step "$PART" "kubectl port-forward works (127.0.0.1:$port)"
  crash_state() {
    [ "$(kc -n "$ns" get pod crash -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null)" = CrashLoopBackOff ]
  }
  wait_for "pod $ns/crash to reach CrashLoopBackOff" 120 "$RUN/kubelet.log" crash_state
  out="$(kc -n "$ns" get pod crash -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')"
  [ "$out" = 3 ] || die "$PART" "pod crash's last exit code is '$out', not 3" "kubectl -n $ns describe pod crash"
  kc -n "$ns" logs crash --previous 2>/dev/null | grep -q "exiting at once" || die "$PART" "kubectl logs --previous crash did not show its output" "see $RUN/kubelet.log"
  step "$PART" "a container that exits at once reaches CrashLoopBackOff (exit code 3, logs --previous work)"
  step "$PART" "check passed in $(fmt_duration $(( $(now_s) - t0 ))) (namespace $ns deleted)"
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  build) cmd_build ;;
  check) cmd_check ;;
  *) echo "usage: $0 up|status|down|build|check" >&2; exit 2 ;;
esac
