# shellcheck shell=bash disable=SC2154  # pid_kubelet: set by node.sh
# node/kubelet.sh — the kubelet and the Node it registers: its build, its
# kubeconfig and configuration, its health, the Node's readiness, and the
# taint that keeps pods off the simulated node while this one is Ready.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

build_kubelet() {
  build_k8s_commands "$RUN/build-kubelet.log" kubelet
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
