#!/usr/bin/env bash
# base-image.sh up|status|down — the pinned Python base image for "pinned env up".
#
# Builds a Debian bookworm root filesystem with python3 and pip using
#   mmdebstrap --variant=minbase --include=python3,python3-pip bookworm
# from the apt sources this machine already uses (read from its apt config,
# never a hard-coded mirror), turns the tarball into a one-layer Docker image
# written by hand (fixed `created`, no clock anywhere), pushes it to the local
# registry over the registry HTTP API and pulls it into the Docker daemon by
# digest. Same inputs (suite, packages, archive state, this script) give the
# same bytes and so the same digest.
#
#   SOURCE_DATE_EPOCH = 1704067200 (2024-01-01T00:00:00Z), a constant chosen
#   once for this project: every file mtime in the rootfs, the image config's
#   `created` and the history entry use it. Override: PINNED_BASE_EPOCH.
#
# Slimmed like Debian's "-slim" images: no man/info pages, no docs except
# copyright files, no translations (dpkg path-exclude); merged-/usr set up by
# mmdebstrap's merged-usr hook (avoids pulling usrmerge and perl).
#
# Result: $CACHE/base-image.env
#   BASE_IMAGE=127.0.0.1:5000/pinned/python:<python version>-bookworm
#   BASE_DIGEST=sha256:…
#   BASE_REF=127.0.0.1:5000/pinned/python@sha256:…
#   (plus PYTHON_VERSION, DEBIAN_SUITE, DEBIAN_VERSION, BASE_PACKAGES,
#   SOURCE_DATE_EPOCH, CONFIG_VERSION, BASE_INCLUDE)
# Labels: pinned.base.debian-version (the rootfs's /etc/debian_version) and
#         pinned.base.packages (sha256 of its sorted package=version list): the
#         archive state the base was made from, read from its content, no clock.
# Cache:  $CACHE/base-image/ (rootfs tarball keyed by its inputs, blobs, manifest,
#         package list; history.tsv and packages/<digest>.tsv for every digest
#         built here). `up` is a no-op when the registry and the daemon already
#         hold the recorded digest.
# Env:    PINNED_BASE_SUITE (bookworm), PINNED_BASE_INCLUDE (python3,python3-pip; comma list),
#         PINNED_BASE_REPO (pinned/python), PINNED_BASE_EPOCH, PINNED_BASE_SOURCES
#         (a sources.list file to use instead of the machine's apt config).
# Needs:  scripts/env/docker.sh and scripts/env/registry.sh (their `up` is run first).
set -euo pipefail
PART=base-image
ENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$ENV_DIR/lib.sh"

SUITE="${PINNED_BASE_SUITE:-bookworm}"
INCLUDE="${PINNED_BASE_INCLUDE:-python3,python3-pip}"
REPO="${PINNED_BASE_REPO:-pinned/python}"
EPOCH="${PINNED_BASE_EPOCH:-1704067200}"
# One work dir and env file per image repository, so variants do not collide.
if [ "$REPO" = pinned/python ]; then
  WORK="$CACHE/base-image/pinned-python"; OUT_ENV="$CACHE/base-image.env"
else
  WORK="$CACHE/base-image/$(printf '%s' "$REPO" | tr '/:' '--')"; OUT_ENV="$CACHE/base-image-$(printf '%s' "$REPO" | tr '/:' '--').env"
fi
CREDS="$CACHE/registry-credentials"
# Bumped whenever this script changes what ends up in the rootfs.
RECIPE_VERSION=1
# Bumped whenever this script changes the image config (labels, history):
# the rootfs is reused, the config and so the digest are new.
CONFIG_VERSION=2

MANIFEST_TYPE=application/vnd.docker.distribution.manifest.v2+json
CONFIG_TYPE=application/vnd.docker.container.image.v1+json
LAYER_TYPE=application/vnd.docker.image.rootfs.diff.tar.gzip

case "$EPOCH" in ''|*[!0-9]*) die "$PART" "PINNED_BASE_EPOCH='$EPOCH' is not a Unix time" "unset it or give seconds since 1970" ;; esac
CREATED="$(date -u -d "@$EPOCH" +%Y-%m-%dT%H:%M:%SZ)"

# ---------------------------------------------------------------- helpers

sha256_of() { sha256sum "$1" | awk '{print $1}'; }

load_registry() {
  [ -s "$CREDS" ] || die "$PART" "no registry credentials at $CREDS" "run scripts/env/registry.sh up"
  REGISTRY="$(sed -n 's/^REGISTRY=//p' "$CREDS")"
  REGISTRY_USER="$(sed -n 's/^REGISTRY_USER=//p' "$CREDS")"
  REGISTRY_PASSWORD="$(sed -n 's/^REGISTRY_PASSWORD=//p' "$CREDS")"
  { [ -n "$REGISTRY" ] && [ -n "$REGISTRY_USER" ] && [ -n "$REGISTRY_PASSWORD" ]; } \
    || die "$PART" "incomplete registry credentials in $CREDS" "delete it and run scripts/env/registry.sh up"
}

# api METHOD PATH [CURL ARGS...] : registry API call; prints the HTTP status.
# Credentials go through a curl config on stdin so they never show in `ps`.
api() {
  local method="$1" path="$2"; shift 2
  printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$REGISTRY_PASSWORD" \
    | curl -sS -K - -X "$method" -o "$WORK/.api.body" -w '%{http_code}' "$@" "http://$REGISTRY$path"
}

# remote_digest TAG_OR_DIGEST : the manifest digest the registry serves for it ("" if none).
remote_digest() {
  local code
  code="$(api HEAD "/v2/$REPO/manifests/$1" -I -H "Accept: $MANIFEST_TYPE")"
  [ "$code" = 200 ] || return 0
  tr -d '\r' <"$WORK/.api.body" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

# oci_arch : the image-config architecture for this machine's dpkg architecture.
oci_arch() {
  case "$(dpkg --print-architecture)" in
    amd64) echo amd64 ;; arm64) echo arm64 ;; armhf) echo arm ;; i386) echo 386 ;;
    ppc64el) echo ppc64le ;; s390x) echo s390x ;; riscv64) echo riscv64 ;;
    *) die "$PART" "unsupported architecture $(dpkg --print-architecture)" "add it to oci_arch in $0" ;;
  esac
}

# write_sources FILE : the machine's Debian apt sources for $SUITE (and its
# -updates and -security suites), one-line format, from `apt-get indextargets`
# — i.e. whatever /etc/apt/sources.list* configure, whichever mirror that is.
write_sources() {
  local file="$1"
  if [ -n "${PINNED_BASE_SOURCES:-}" ]; then
    [ -s "$PINNED_BASE_SOURCES" ] || die "$PART" "PINNED_BASE_SOURCES=$PINNED_BASE_SOURCES is not a non-empty file" "point it at a sources.list"
    cp "$PINNED_BASE_SOURCES" "$file"
    return 0
  fi
  local arch; arch="$(dpkg --print-architecture)"
  _targets() {
    # shellcheck disable=SC2016  # apt's own $(FIELD) placeholders
    apt-get indextargets --format '$(RELEASE) $(REPO_URI) $(COMPONENT)' \
      'Identifier: Packages' "Architecture: $arch" 'Origin: Debian' 2>/dev/null \
      | awk -v s="$SUITE" '$1==s || $1==s"-updates" || $1==s"-security"' | sort -u
  }
  if [ -z "$(_targets)" ]; then
    step "$PART" "no apt package lists for $SUITE; running apt-get update"
    apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null || die "$PART" "apt-get update failed" "check /etc/apt/sources.list*"
  fi
  # Order: SUITE, SUITE-updates, SUITE-security; components merged per (uri, suite).
  _targets | awk -v s="$SUITE" '
    { rank = ($1==s) ? 0 : ($1==s"-updates") ? 1 : 2
      k = rank " " $2 " " $1
      if (!(k in c)) { keys[++n] = k; c[k] = $3 } else if (index(" " c[k] " ", " " $3 " ") == 0) { c[k] = c[k] " " $3 } }
    END { for (i = 1; i <= n; i++) { split(keys[i], f, " "); print f[1] "\tdeb " f[2] " " f[3] " " c[keys[i]] } }' \
    | sort -t "$(printf '\t')" -k1,1n -k2 | cut -f2- >"$file"
  [ -s "$file" ] || die "$PART" "this machine's apt config has no Debian '$SUITE' sources" \
    "add a Debian $SUITE entry to /etc/apt/sources.list.d/, or set PINNED_BASE_SOURCES to a sources.list file"
  grep -q "^deb [^ ]* $SUITE " "$file" || die "$PART" "this machine's apt config has no '$SUITE' suite (only: $(awk '{print $3}' "$file" | tr '\n' ' '))" \
    "add it to /etc/apt/sources.list.d/, or set PINNED_BASE_SOURCES"
}

MMDEBSTRAP_ARGS=()
set_mmdebstrap_args() {
  local hooks=/usr/share/mmdebstrap/hooks
  # shellcheck disable=SC2016  # "$1" in the hook is expanded by mmdebstrap's hook shell
  MMDEBSTRAP_ARGS=(
    --variant=minbase "--include=$INCLUDE"
    "--hook-dir=$hooks/merged-usr"
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-include=/usr/share/locale/locale.alias'
    # the host's resolv.conf/hostname would make the rootfs differ per machine;
    # Docker provides both at run time.
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"'
  )
}

# ---------------------------------------------------------------- steps

build_rootfs() {  # -> ROOTFS (path of the cached tarball)
  local sources="$WORK/sources.list.new" key
  write_sources "$sources"
  set_mmdebstrap_args
  key="$( { echo "recipe=$RECIPE_VERSION suite=$SUITE epoch=$EPOCH arch=$(dpkg --print-architecture)"
            dpkg-query -W -f='mmdebstrap=${Version}\n' mmdebstrap
            printf '%s\n' "${MMDEBSTRAP_ARGS[@]}"; cat "$sources"; } | sha256sum | cut -c1-16)"
  mv -f "$sources" "$WORK/sources.list"
  ROOTFS="$WORK/rootfs-$SUITE-$key.tar"
  if [ -s "$ROOTFS" ]; then
    step "$PART" "rootfs cached: $ROOTFS"
    return 0
  fi
  # tmpfs speeds mmdebstrap up (~25 s here) when it has room; needs ~1 GiB.
  local tmpdir="${TMPDIR:-/tmp}"
  if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2{print $4}')" -gt 2097152 ]; then
    tmpdir=/dev/shm
  fi
  step "$PART" "mmdebstrap --variant=minbase --include=$INCLUDE $SUITE (SOURCE_DATE_EPOCH=$EPOCH; cold, ~1.5-2 min; log $WORK/mmdebstrap.log)"
  step "$PART" "apt sources: $(wc -l <"$WORK/sources.list") entries from this machine's apt config ($(awk '{print $3}' "$WORK/sources.list" | paste -sd, -))"
  local tmp; tmp="$(mktemp "$WORK/.rootfs.XXXXXX.tar")"
  if ! TMPDIR="$tmpdir" SOURCE_DATE_EPOCH="$EPOCH" mmdebstrap "${MMDEBSTRAP_ARGS[@]}" \
        "$SUITE" "$tmp" "$WORK/sources.list" >"$WORK/mmdebstrap.log" 2>&1; then
    rm -f "$tmp"
    die "$PART" "mmdebstrap failed: $(tail -n 3 "$WORK/mmdebstrap.log" | tr '\n' ' ')" "see $WORK/mmdebstrap.log"
  fi
  # Older rootfs tarballs of this suite are superseded.
  find "$WORK" -maxdepth 1 -name "rootfs-$SUITE-*.tar" ! -name "$(basename "$ROOTFS")" -delete
  chmod 644 "$tmp"
  mv -f "$tmp" "$ROOTFS"
  step "$PART" "rootfs $(du -h "$ROOTFS" | cut -f1) ($(sha256_of "$ROOTFS" | cut -c1-12)…)"
}

# image_from_rootfs : layer blob, config blob and manifest under $WORK/blobs;
# sets LAYER_DIGEST, CONFIG_DIGEST, MANIFEST_DIGEST, PYTHON_VERSION, TAG.
image_from_rootfs() {
  mkdir -p "$WORK/blobs"
  # Python version from the rootfs's own dpkg database (upstream part of python3's version).
  tar -xOf "$ROOTFS" ./var/lib/dpkg/status | awk '/^Package: /{p=$2} /^Version: /{print p "\t" $2}' | sort >"$WORK/packages.tsv"
  PYTHON_VERSION="$(awk -F '\t' '$1=="python3"{print $2}' "$WORK/packages.tsv" | sed 's/^[0-9]*://; s/-[^-]*$//')"
  [ -n "$PYTHON_VERSION" ] || die "$PART" "python3 is not installed in $ROOTFS" "keep python3 in PINNED_BASE_INCLUDE"
  TAG="$PYTHON_VERSION-$SUITE"
  # The archive state the rootfs was made from, as far as its content shows
  # it: Debian's point release and the exact package versions. Labels, so a
  # recipe's drift from the mirror can be explained (pinned base update).
  DEBIAN_VERSION="$(tar -xOf "$ROOTFS" ./etc/debian_version | tr -d '[:space:]')"
  PACKAGES_DIGEST="sha256:$(sha256_of "$WORK/packages.tsv")"
  PACKAGE_COUNT="$(wc -l <"$WORK/packages.tsv" | tr -d ' ')"

  local diff_id layer_tmp
  diff_id="sha256:$(sha256_of "$ROOTFS")"
  if [ -s "$WORK/layer.diffid" ] && [ "$(cat "$WORK/layer.diffid")" = "$diff_id" ] && [ -s "$WORK/layer.digest" ] \
     && [ -s "$WORK/blobs/$(cut -d: -f2 "$WORK/layer.digest")" ]; then
    LAYER_DIGEST="$(cat "$WORK/layer.digest")"
  else
    step "$PART" "compressing layer (gzip -n -6)"
    layer_tmp="$(mktemp "$WORK/.layer.XXXXXX")"
    gzip -n -6 -c "$ROOTFS" >"$layer_tmp"
    chmod 644 "$layer_tmp"
    LAYER_DIGEST="sha256:$(sha256_of "$layer_tmp")"
    mv -f "$layer_tmp" "$WORK/blobs/${LAYER_DIGEST#sha256:}"
    echo "$LAYER_DIGEST" >"$WORK/layer.digest"
    echo "$diff_id" >"$WORK/layer.diffid"
  fi
  LAYER_SIZE="$(stat -c %s "$WORK/blobs/${LAYER_DIGEST#sha256:}")"

  # Image config: canonical key order, no whitespace, no clock.
  local cfg="$WORK/config.json.new" include_json
  include_json="$(printf '%s' "$INCLUDE" | sed 's/,/ /g')"
  printf '%s' \
    '{"architecture":"'"$(oci_arch)"'",' \
    '"config":{"Cmd":["python3"],' \
    '"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],' \
    '"Labels":{"org.opencontainers.image.created":"'"$CREATED"'",' \
    '"org.opencontainers.image.description":"Debian '"$SUITE"' minbase + '"$include_json"' (mmdebstrap, slim), built by scripts/env/base-image.sh",' \
    '"org.opencontainers.image.title":"'"$REPO"'",' \
    '"org.opencontainers.image.version":"'"$TAG"'",' \
    '"pinned.base.debian-version":"'"$DEBIAN_VERSION"'",' \
    '"pinned.base.packages":"'"$PACKAGES_DIGEST"' ('"$PACKAGE_COUNT"' packages)"}},' \
    '"created":"'"$CREATED"'",' \
    '"history":[{"created":"'"$CREATED"'","created_by":"mmdebstrap --variant=minbase --include='"$INCLUDE"' '"$SUITE"' (SOURCE_DATE_EPOCH='"$EPOCH"')"}],' \
    '"os":"linux",' \
    '"rootfs":{"diff_ids":["'"$diff_id"'"],"type":"layers"}}' >"$cfg"
  CONFIG_DIGEST="sha256:$(sha256_of "$cfg")"
  CONFIG_SIZE="$(stat -c %s "$cfg")"
  mv -f "$cfg" "$WORK/blobs/${CONFIG_DIGEST#sha256:}"

  local man="$WORK/manifest.json.new"
  printf '%s' \
    '{"schemaVersion":2,"mediaType":"'"$MANIFEST_TYPE"'",' \
    '"config":{"mediaType":"'"$CONFIG_TYPE"'","size":'"$CONFIG_SIZE"',"digest":"'"$CONFIG_DIGEST"'"},' \
    '"layers":[{"mediaType":"'"$LAYER_TYPE"'","size":'"$LAYER_SIZE"',"digest":"'"$LAYER_DIGEST"'"}]}' >"$man"
  MANIFEST_DIGEST="sha256:$(sha256_of "$man")"
  mv -f "$man" "$WORK/manifest.json"
}

push_blob() {  # DIGEST FILE
  local digest="$1" file="$2" code loc sep
  code="$(api HEAD "/v2/$REPO/blobs/$digest" -I)"
  if [ "$code" = 200 ]; then return 0; fi
  code="$(api POST "/v2/$REPO/blobs/uploads/" -D "$WORK/.api.headers" -H 'Content-Length: 0')"
  [ "$code" = 202 ] || die "$PART" "starting a blob upload to $REGISTRY/$REPO answered HTTP $code: $(head -c 300 "$WORK/.api.body")" "check scripts/env/registry.sh status"
  loc="$(tr -d '\r' <"$WORK/.api.headers" | sed -n 's/^[Ll]ocation: //p' | tail -n 1)"
  [ -n "$loc" ] || die "$PART" "registry gave no upload Location" "see $CACHE/run/registry/registry.log"
  case "$loc" in http://*|https://*) loc="/${loc#*://*/}" ;; esac   # keep the path+query only
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  code="$(api PUT "$loc${sep}digest=$digest" -H 'Content-Type: application/octet-stream' --data-binary "@$file")"
  [ "$code" = 201 ] || die "$PART" "uploading blob $digest answered HTTP $code: $(head -c 300 "$WORK/.api.body")" "see $CACHE/run/registry/registry.log"
}

push_image() {
  step "$PART" "pushing to $REGISTRY/$REPO:$TAG (layer $(( LAYER_SIZE / 1048576 )) MiB)"
  push_blob "$LAYER_DIGEST" "$WORK/blobs/${LAYER_DIGEST#sha256:}"
  push_blob "$CONFIG_DIGEST" "$WORK/blobs/${CONFIG_DIGEST#sha256:}"
  local code got
  code="$(api PUT "/v2/$REPO/manifests/$TAG" -D "$WORK/.api.headers" -H "Content-Type: $MANIFEST_TYPE" --data-binary "@$WORK/manifest.json")"
  [ "$code" = 201 ] || die "$PART" "manifest PUT answered HTTP $code: $(head -c 300 "$WORK/.api.body")" "see $CACHE/run/registry/registry.log"
  got="$(tr -d '\r' <"$WORK/.api.headers" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"
  [ "$got" = "$MANIFEST_DIGEST" ] || die "$PART" "registry computed digest '$got', expected $MANIFEST_DIGEST" "report this: the manifest bytes were changed in transit"
}

# remember_build : what this machine's mirror built, by digest, with the
# package list, so a recipe pinning an earlier build can be told what changed
# (history.tsv: digest, Debian version, package list digest, UTC day built).
remember_build() {
  mkdir -p "$WORK/packages"
  cp -f "$WORK/packages.tsv" "$WORK/packages/${MANIFEST_DIGEST#sha256:}.tsv"
  if ! grep -q "^$MANIFEST_DIGEST	" "$WORK/history.tsv" 2>/dev/null; then
    printf '%s\t%s\t%s\t%s\n' "$MANIFEST_DIGEST" "$DEBIAN_VERSION" "$PACKAGES_DIGEST ($PACKAGE_COUNT packages)" \
      "$(date -u +%Y-%m-%d)" >>"$WORK/history.tsv"
  fi
}

pull_into_docker() {
  local ref="$REGISTRY/$REPO@$MANIFEST_DIGEST"
  "$ENV_DIR/registry.sh" login >/dev/null
  if ! docker image inspect "$ref" >/dev/null 2>&1; then
    step "$PART" "docker pull $ref"
    docker pull -q "$ref" >/dev/null 2>"$WORK/.pull.err" || die "$PART" "docker pull $ref failed: $(tr '\n' ' ' <"$WORK/.pull.err")" "check scripts/env/docker.sh status and scripts/env/registry.sh status"
  fi
  docker tag "$ref" "$REGISTRY/$REPO:$TAG"
}

write_env() {
  local tmp; tmp="$(mktemp "$CACHE/.base-image.env.XXXXXX")"
  cat >"$tmp" <<EOF
BASE_IMAGE=$REGISTRY/$REPO:$TAG
BASE_DIGEST=$MANIFEST_DIGEST
BASE_REF=$REGISTRY/$REPO@$MANIFEST_DIGEST
PYTHON_VERSION=$PYTHON_VERSION
DEBIAN_SUITE=$SUITE
DEBIAN_VERSION=$DEBIAN_VERSION
BASE_PACKAGES=$PACKAGES_DIGEST
SOURCE_DATE_EPOCH=$EPOCH
CONFIG_VERSION=$CONFIG_VERSION
BASE_INCLUDE=$INCLUDE
EOF
  mv -f "$tmp" "$OUT_ENV"
}

env_value() { if [ -f "$OUT_ENV" ]; then sed -n "s/^$1=//p" "$OUT_ENV"; fi; }

# ---------------------------------------------------------------- commands

cmd_up() {
  local t0; t0="$(now_s)"
  "$ENV_DIR/docker.sh" up | grep -v 'nothing to do' || true
  docker info >/dev/null 2>&1 || die "$PART" "the Docker daemon does not answer" "run scripts/env/docker.sh up"
  "$ENV_DIR/registry.sh" up | grep -v 'nothing to do' || true
  load_registry
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")" = 401 ] || die "$PART" "registry $REGISTRY is not answering" "run scripts/env/registry.sh up"
  mkdir -p "$WORK"
  exec 9>"$WORK/.lock"
  flock -w 900 9 || die "$PART" "another base-image.sh up holds $WORK/.lock" "wait for it, or remove the lock if no such process runs"
  # leftovers of an interrupted run (we hold the lock, so nobody else writes them)
  find "$WORK" -maxdepth 1 \( -name '.rootfs.*.tar' -o -name '.layer.*' -o -name '*.new' \) -delete

  # Fast path: the recorded image is in the registry and in the daemon.
  local digest image
  digest="$(env_value BASE_DIGEST)"; image="$(env_value BASE_IMAGE)"
  if [ -n "$digest" ] && [ "${image%%/*}" = "$REGISTRY" ] && [ "$(env_value DEBIAN_SUITE)" = "$SUITE" ] \
     && [ "$(env_value SOURCE_DATE_EPOCH)" = "$EPOCH" ] && [ "$(env_value CONFIG_VERSION)" = "$CONFIG_VERSION" ] \
     && [ "$(env_value BASE_INCLUDE)" = "$INCLUDE" ] \
     && [ "$(remote_digest "${image##*:}")" = "$digest" ] \
     && docker image inspect "$REGISTRY/$REPO@$digest" >/dev/null 2>&1; then
    step "$PART" "$image@$digest already in the registry and the daemon; nothing to do"
    return 0
  fi

  command -v mmdebstrap >/dev/null 2>&1 || apt_ensure "$PART" mmdebstrap
  build_rootfs
  image_from_rootfs
  if [ "$(remote_digest "$TAG")" = "$MANIFEST_DIGEST" ]; then
    step "$PART" "registry already has $REPO:$TAG = $MANIFEST_DIGEST"
  else
    push_image
  fi
  pull_into_docker
  remember_build
  write_env
  step "$PART" "$REGISTRY/$REPO:$TAG = $MANIFEST_DIGEST"
  step "$PART" "up in $(fmt_duration $(( $(now_s) - t0 ))) (wrote $OUT_ENV)"
}

cmd_status() {
  local digest image ref
  digest="$(env_value BASE_DIGEST)"; image="$(env_value BASE_IMAGE)"; ref="$(env_value BASE_REF)"
  [ -n "$digest" ] || { echo "$PART: not built ($OUT_ENV missing) — unhealthy; run scripts/env/base-image.sh up"; return 1; }
  load_registry
  local in_reg=no in_docker=no
  mkdir -p "$WORK"
  [ "$(remote_digest "$digest" 2>/dev/null)" = "$digest" ] && in_reg=yes
  docker image inspect "$ref" >/dev/null 2>&1 && in_docker=yes
  if [ "$in_reg" = yes ] && [ "$in_docker" = yes ]; then
    echo "$PART: $image @ $digest (python $(env_value PYTHON_VERSION), Debian $(env_value DEBIAN_VERSION) $(env_value DEBIAN_SUITE)), in registry and daemon — healthy"
  else
    echo "$PART: $image @ $digest: in registry: $in_reg, in daemon: $in_docker — unhealthy; run scripts/env/base-image.sh up"
    return 1
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) step "$PART" "nothing to stop (the image stays in $CACHE/registry-data and the daemon)" ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
