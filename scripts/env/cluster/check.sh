# shellcheck shell=bash
# cluster/check.sh — 'cluster.sh check', the smoke test: a Deployment of an
# image by digest becomes Available on the simulated node and its Service
# gets ready endpoints.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

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
  # shellcheck disable=SC2317  # wait_until below calls it
  service_endpoints() {
    eps="$(kc -n "$ns" get endpointslices -l kubernetes.io/service-name=web \
      -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]} {end}' 2>/dev/null)"
    [ "$(wc -w <<<"$eps")" -eq 2 ]
  }
  wait_until "2 ready endpoints of service $ns/web" 30 service_endpoints
  kc delete namespace "$ns" --wait=false >/dev/null
  step "$PART" "check passed: deployment $ns/web Available (2/2), service endpoints ${eps% } ($(fmt_duration $(( $(now_s) - t0 ))))"
}
