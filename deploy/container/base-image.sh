#!/usr/bin/env bash
# Local base images for machines that reach Debian's package mirror but no container registry.
#
#   deploy/container/base-image.sh            build whatever is missing (idempotent)
#   deploy/container/base-image.sh --rebuild  build all three again
#
# civic146-base/debian:12         Debian 12 (bookworm) minbase from debootstrap, imported as an image
# civic146-base/python:3.11       + Debian's python3 (3.11), venv, ca-certificates: the project
#                                 image's BASE_IMAGE here (the Dockerfile's default is python:3.11-slim)
# civic146-base/jre:17            + openjdk-17-jre-headless: base of the stand-in Kafka and
#                                 document-server images of the container smoke (deploy/container/)
#
# Needs root, docker, and debootstrap (installed from Debian when missing). Builds run with host
# networking (the daemon here has no bridge): apt inside them reaches the mirror directly.
# The CA certificates the build host added to its own trust store (LOCAL_CA_DIR, Debian's
# /usr/local/share/ca-certificates) are added to the Python base too, so that pip inside the
# project's build trusts what the host trusts (e.g. a TLS-inspecting proxy in front of PyPI).
# Images built on the official python:3.11-slim get none of this.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SUITE=bookworm
DEBIAN_IMAGE=${DEBIAN_IMAGE:-civic146-base/debian:12}
PYTHON_IMAGE=${PYTHON_IMAGE:-civic146-base/python:3.11}
JRE_IMAGE=${JRE_IMAGE:-civic146-base/jre:17}
WORK_DIR=${WORK_DIR:-/var/tmp/civic146-base}
LOCAL_CA_DIR=${LOCAL_CA_DIR:-/usr/local/share/ca-certificates}

log() { printf 'base-image: %s\n' "$*"; }
die() { printf 'base-image: error: %s\n' "$*" >&2; exit 1; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

rebuild=0
case ${1:-} in
  "") ;;
  --rebuild) rebuild=1 ;;
  *) die "usage: $0 [--rebuild]" ;;
esac

[[ $(id -u) == 0 ]] || die "debootstrap needs root"
docker info >/dev/null 2>&1 || die "no docker daemon answers (deploy/container/engine.sh up starts one)"

build_debian() {
  if ((!rebuild)) && have_image "$DEBIAN_IMAGE"; then log "$DEBIAN_IMAGE present"; return 0; fi
  command -v debootstrap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; }
  local t0=$SECONDS rootfs=$WORK_DIR/rootfs
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  log "debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR ..."
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$WORK_DIR/debootstrap.log" 2>&1 ||
    { tail -30 "$WORK_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $WORK_DIR/debootstrap.log)"; }
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR $DEBIAN_SUITE main
deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main
deb ${DEBIAN_MIRROR%/debian}/debian-security $DEBIAN_SUITE-security main
SOURCES
  # What the official Debian images do: no recommends, no caches, no docs kept after installs.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90civic146"
  printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/90civic146-nodoc"
  # ...and what debootstrap already installed of them (debian:bookworm-slim drops the same).
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/*
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log "$rootfs"/tmp/*
  tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' \
      --message "debootstrap --variant=minbase $DEBIAN_SUITE $DEBIAN_MIRROR" - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "$DEBIAN_IMAGE imported ($((SECONDS - t0)) s)"
}

build_from_debian() {
  local image=$1 dockerfile=$2 t0=$SECONDS
  if ((!rebuild)) && have_image "$image"; then log "$image present"; return 0; fi
  log "building $image ..."
  # The context: the Dockerfile's folder plus local-ca/ (the host's added CAs, possibly none).
  local ctx=$WORK_DIR/context
  rm -rf "$ctx" && mkdir -p "$ctx/local-ca"
  if [[ -d $LOCAL_CA_DIR ]]; then
    find "$LOCAL_CA_DIR" -maxdepth 1 -type f -name '*.crt' -exec cp {} "$ctx/local-ca/" \;
  fi
  docker build --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" -t "$image" \
    -f "$dockerfile" "$ctx" >"$WORK_DIR/build.log" 2>&1 ||
    { tail -30 "$WORK_DIR/build.log" >&2; die "building $image failed (log: $WORK_DIR/build.log)"; }
  log "$image built ($((SECONDS - t0)) s)"
}

mkdir -p "$WORK_DIR"
build_debian
build_from_debian "$PYTHON_IMAGE" "$SCRIPT_DIR/base/python.Dockerfile"
build_from_debian "$JRE_IMAGE" "$SCRIPT_DIR/base/jre.Dockerfile"
