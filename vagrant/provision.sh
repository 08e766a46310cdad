#!/usr/bin/env bash
# The Vagrantfile's provisioning, as root in the Debian 12 VM: Node.js 20, then metal-lab's
# setup. With METAL_LAB_BUNDLE (a workshop bundle synced in) everything comes from the bundle;
# without, from Debian's archive and NodeSource's (Debian 12 has Node.js 18 only).
set -euo pipefail
cd /home/vagrant/metal-lab
export DEBIAN_FRONTEND=noninteractive

if [ -n "${METAL_LAB_BUNDLE:-}" ]; then
  # The bundle's apt repository first (src/ground/bundle-layout.ts): it holds the Node.js metal-lab runs on.
  repo=/var/cache/metal-lab/bundle-apt
  mkdir -p "$repo/lists/partial"
  tar -xzf "$METAL_LAB_BUNDLE" -C "$repo" apt
  echo "deb [trusted=yes] file:$repo/apt ./" >"$repo/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$repo/sources.list" -o Dir::Etc::SourceParts=/nonexistent -o "Dir::State::Lists=$repo/lists" -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" -q update
  apt-get "${apt_opts[@]}" -q install -y --no-install-recommends nodejs
  rm -rf "$repo"
  ./metal-lab bundle load "$METAL_LAB_BUNDLE"
elif ! node --version 2>/dev/null | grep -q '^v20\.'; then
  apt-get -q update
  apt-get -q install -y --no-install-recommends ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor -o /usr/share/keyrings/nodesource.gpg
  echo 'deb [signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main' >/etc/apt/sources.list.d/nodesource.list
  apt-get -q update
  apt-get -q install -y nodejs
fi

./metal-lab setup
./metal-lab doctor
echo "metal-lab is ready: vagrant ssh, then cd metal-lab && sudo ./metal-lab run"
