#!/bin/bash
# Builds Kubernetes' server and node binaries, and the pause container's binary, from Debian's
# source package into $1/bin. Run by kubernetes-binaries.ts, which passes the rest through the
# environment:
#   K8S_APT_OPTS     apt -o options of a private apt dir (private-apt.ts) with deb-src lines
#   K8S_SRC_VERSION  the exact source package version to fetch
#   K8S_REFLECT2_VERSION  Debian's golang-github-modern-go-reflect2 source version (see below)
#   K8S_GIT_VERSION  the version the binaries report (vX.Y.Z of the upstream tree)
#   K8S_WHAT         the cmd/... targets to build
#   K8S_GOCACHE      Go's build cache, kept between builds so a rebuild only relinks
#   K8S_WORK         where the source is unpacked: a fixed path, since Go's cache keys on it (-trimpath)
# Lines starting "stage: " are progress for the caller; everything else is the build log.
set -euo pipefail
out=$1
work=$K8S_WORK
# One build at a time owns the work dir; a second waits, then finds Go's cache warm.
exec 9>"$work.lock"
flock 9
rm -rf "$work"
# Only the holder of the lock removes the tree, whatever way it ends.
trap 'rm -rf "$work"' EXIT
stage() { echo "stage: $*"; }

# A private apt (its own state and sources): the host's apt configuration is never read or changed.
read -r -a apt_opts <<< "$K8S_APT_OPTS"

stage "fetching Debian's source package kubernetes=$K8S_SRC_VERSION"
mkdir -p "$work/src"
(cd "$work/src" && apt-get "${apt_opts[@]}" -q source "kubernetes=$K8S_SRC_VERSION")
tree=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)

# Kubernetes 1.20 vendors modern-go/reflect2 v1.0.1, whose map iteration faults under Go 1.18+
# (Debian 12 has Go 1.19): the apiserver segfaults encoding a custom resource. reflect2 v1.0.2
# fixed that; Debian packages it, so its source replaces the vendored copy.
stage "replacing vendored reflect2 v1.0.1 with Debian's golang-github-modern-go-reflect2=$K8S_REFLECT2_VERSION"
(cd "$work/src" && apt-get "${apt_opts[@]}" -q source "golang-github-modern-go-reflect2=$K8S_REFLECT2_VERSION")
reflect2=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'golang-github-modern-go-reflect2-*' | head -n1)
vendored=$tree/vendor/github.com/modern-go/reflect2
rm -rf "$vendored"
mkdir -p "$vendored"
cp "$reflect2"/*.go "$reflect2"/*.s "$reflect2/LICENSE" "$vendored/" 2>/dev/null || cp "$reflect2"/*.go "$reflect2/LICENSE" "$vendored/"
rm -f "$vendored"/*_test.go

# Kubernetes 1.20's apiserver exits when etcd fails its start-up work for long: the first check
# of the Service IP and node port ranges gets one read, the default priority classes and RBAC
# roles 30 s (kubernetes/kubernetes#123089). Three etcd members under TCG time out reads and change
# leaders for minutes at a time, and every exit starts the apiserver over, listing every resource
# again into an etcd that is already behind: in ha run 19 node1's apiserver exited four times in
# 30 minutes and node3's twice, and the pivot never ended. Newer Kubernetes retries the first
# check (kubernetes/kubernetes#126671); here all three get 5 minutes of tries. With etcd answering
# they finish in their first second.
stage "giving the apiserver's start-up work in etcd 5 minutes of tries"
source_file() { # the one file named $1 under $tree/pkg that holds the text $2
  grep -rlF --include="$1" "$2" "$tree/pkg" | grep . ||
    { echo "no $1 under $tree/pkg holds '$2': this source differs from Kubernetes 1.20's" >&2; return 1; }
}
patch_file() { # file, how many matches, perl substitution
  perl -0pi -e "(($3) == $2) or die qq{\$ARGV: the code to patch is not there: this source differs from Kubernetes 1.20's\n}" "$1"
}
controller=$(source_file controller.go 'Unable to perform initial IP allocation check')
patch_file "$controller" 2 's/if err := (repair(?:ClusterIPs|NodePorts))\.RunOnce\(\); err != nil \{/if err := retryFirstRepair($1.RunOnce); err != nil {/g'
cat >> "$controller" <<'GO'

// retryFirstRepair (metal-lab): etcd under TCG fails reads for minutes at a time.
func retryFirstRepair(run func() error) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		err := run()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		klog.Warningf("first repair failed, retrying: %v", err)
		time.Sleep(2 * time.Second)
	}
}
GO
for hook in storage_scheduling.go storage_rbac.go; do
  file=$(source_file "$hook" 'wait.Poll(1*time.Second, 30*time.Second, func() (done bool, err error) {')
  patch_file "$file" 1 's/wait\.Poll\(1\*time\.Second, \K30\*time\.Second(?=, func\(\) \(done bool, err error\) \{)/5*time.Minute/g'
done

# The tree builds in GOPATH mode against its vendor dir, as its own Makefile does. The version
# comes from the environment because the source package has no .git to read it from.
stage "go build (GOPATH mode, vendored) of ${K8S_WHAT}: several minutes per binary on 2 cores"
cd "$tree"
# hack/lib/golang.sh points GOCACHE into _output; make that our cache kept between builds.
mkdir -p _output/local/go "$K8S_GOCACHE"
ln -sfn "$K8S_GOCACHE" _output/local/go/cache
export GO111MODULE=off
export KUBE_GIT_VERSION=$K8S_GIT_VERSION KUBE_GIT_TREE_STATE=clean KUBE_BUILD_PLATFORMS=linux/amd64
# Bare metal needs neither the in-tree cloud providers (AWS, Azure, GCE, OpenStack, vSphere and
# their SDKs) nor the kubelet's dockershim (the nodes run containerd over CRI): Kubernetes' own
# build tags leave them out, as kind's node images did, and the compile is shorter for it.
export GOFLAGS=-tags=providerless,dockerless
for target in $K8S_WHAT; do
  stage "building $target"
  make WHAT="$target"
done

mkdir -p "$out/bin"
for target in $K8S_WHAT; do
  cp "_output/local/bin/linux/amd64/$(basename "$target")" "$out/bin/"
done

# pause is PID 1 of every pod sandbox: a static binary so its image needs no libc layer.
stage "compiling pause from build/pause/linux/pause.c"
gcc -Os -Wall -Werror -static -DVERSION="$K8S_GIT_VERSION" -o "$out/bin/pause" build/pause/linux/pause.c
strip "$out/bin/pause"
