# shellcheck shell=bash
# cluster/encryption.sh — Secrets encrypted at rest: the key the API server
# encrypts them with, and Secrets etcd still holds in clear written again
# and their clear revisions compacted away.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

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
