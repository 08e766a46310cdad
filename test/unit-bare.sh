#!/usr/bin/env bash
# The unit tier as on a machine with nothing but Node (npm run test:unit:bare; npm test runs the
# unit tier this way as root). In a private mount namespace every bin and sbin dir holds node and
# nothing else, /run (daemon sockets) and the iPXE ROMs are gone, and the lab's state and cache
# are empty: a unit test that runs a host tool or leans on a daemon or a build fails here.
# Arguments go to ava, e.g. a file to run alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

if [[ ${1-} != --inside ]]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  # Root needs only a mount namespace; anyone else also a user namespace mapping them to root.
  userns=()
  [[ $(id -u) == 0 ]] || userns=(--map-root-user)
  unshare --mount --propagation private "${userns[@]}" bash "$here/unit-bare.sh" --inside "$scratch" "$@"
  exit
fi

scratch=$2
shift 2
node=$(readlink -f "$(command -v node)")
mount -t tmpfs unit-bare "$scratch"
mkdir "$scratch/bin" "$scratch/state" "$scratch/cache"
: >"$scratch/bin/node"
mount --bind "$node" "$scratch/bin/node"
for dir in /usr/sbin /usr/local/bin /usr/local/sbin /run /usr/lib/ipxe; do
  if [[ -d $dir ]]; then mount -t tmpfs unit-bare "$dir"; fi
done
# Last, as mount itself lives there (/bin and /sbin are links into /usr on Debian).
mount --rbind "$scratch/bin" /usr/bin

export PATH=/usr/bin METAL_LAB_HOME=$scratch/state METAL_LAB_CACHE=$scratch/cache
node test/compile.mjs
exec node node_modules/ava/entrypoints/cli.mjs --config test/unit/ava.config.mjs "$@"
