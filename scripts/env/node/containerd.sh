# shellcheck shell=bash
# node/containerd.sh — the container runtime: containerd's configuration
# (its own root, state and socket, the registry's hosts file, the CRI
# plugin) and whether it and its CRI answer.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

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
