#!/bin/bash
# Builds FLUO's update-operator and update-agent from its source tarball into $1/bin, offline
# (vendored modules, no proxy), as static binaries. Run by fluo-binaries.ts, which has checked
# the tarball against the project's pin and passes the rest through the environment:
#   FLUO_TARBALL         the source tarball: one top directory holding the tree
#   FLUO_TARBALL_SHA256  its sha256 when it was checked: the file must not have changed since
#   FLUO_UNPINNED        tree paths the pin leaves out: removed, so only pinned files are built
#   FLUO_VERSION         what the binaries report; without it they refuse to start
#   FLUO_COMMIT          the tag's commit, for --version (the tag's Makefile reads both from git)
#   FLUO_GOCACHE         Go's build cache, kept between builds so a rebuild only relinks
# Lines starting "stage: " are progress for the caller; everything else is the build log.
set -euo pipefail
out=$1
src=$out/src
stage() { echo "stage: $*"; }

stage "unpacking $FLUO_TARBALL"
echo "$FLUO_TARBALL_SHA256  $FLUO_TARBALL" | sha256sum --check --quiet
mkdir -p "$src" "$out/bin" "$FLUO_GOCACHE"
tar -xzf "$FLUO_TARBALL" -C "$src" --strip-components=1 --no-same-owner
for f in $FLUO_UNPINNED; do rm -f "$src/$f"; done

stage "go build (vendored, offline) of update-operator and update-agent: 3-6 min cold on 2 cores"
repo=github.com/flatcar/flatcar-linux-update-operator
# -trimpath: Go's cache keys on the files, not on this temp dir, so a rebuild finds it warm.
(cd "$src" && GOCACHE=$FLUO_GOCACHE GOFLAGS=-mod=vendor GOPROXY=off CGO_ENABLED=0 \
  go build -trimpath -ldflags "-w -X $repo/pkg/version.Version=$FLUO_VERSION -X $repo/pkg/version.Commit=$FLUO_COMMIT" \
  -o "$out/bin/" ./cmd/update-operator ./cmd/update-agent)
rm -rf "$src"
