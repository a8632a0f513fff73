# shellcheck shell=bash
# node/check.sh — 'node.sh check', the smoke test: a restricted Deployment
# of a registry image by digest runs on the real node; logs, exec,
# port-forward and CrashLoopBackOff work.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

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
  # shellcheck disable=SC2317  # wait_for below calls it
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
