# shellcheck shell=bash
# cluster/pki.sh — the control plane's certificates: the cluster CA and what
# it signs, the front proxy's CA, the API server's kubelet client, and
# etcd's own CA.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

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
