# shellcheck shell=bash
# node/pause.sh — the pods' sandbox image: the pause program built from
# node/pause/, laid out as an OCI image with a fixed digest, imported into
# containerd.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

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

# import_pause REF : import the pause image into containerd's k8s.io namespace unless present.
import_pause() {
  local ref="$1" tmp images
  # Read whole, then searched: with pipefail, grep -q leaving early made a
  # long listing's ctr die of SIGPIPE, and the image was imported again.
  images="$(ctr_ images ls -q 2>/dev/null || true)"
  grep -qxF "$ref" <<<"$images" && return 0
  tmp="$(mktemp -d "$RUN/.pause.XXXXXX")"
  pause_layout "$tmp" >/dev/null
  (cd "$tmp" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf ../pause-image.tar oci-layout index.json blobs)
  rm -rf "$tmp"
  ctr_ images import "$RUN/pause-image.tar" >>"$RUN/containerd.log" 2>&1 \
    || die "$PART" "could not import the pause image into containerd (log $RUN/containerd.log)" "read the log; '$0 down' then '$0 up' starts over"
  rm -f "$RUN/pause-image.tar"
  step "$PART" "imported sandbox image $ref"
}
