import type { IgnFile, IgnUnit } from './ignition-files.js';
import { renderWatchdog } from './watchdog.js';

/**
 * containerd 1.6's CRI gives itself 10 s to record a container's exit: delete the stopped task
 * (the shim runs `runc delete`), then mark the container exited. Under TCG load that runs out;
 * every retry is cut off at 10 s too (containerd#9240), and the CRI reports the dead container as
 * running for good, so the kubelet never restarts it (lab ha run 14: node1's apiserver, 30 minutes).
 * The watchdog deletes the stopped task itself, with ctr, which waits as long as the shim takes
 * (15-117 s each at guest load 20, in bootstrap and ha runs). The CRI's next retry then finds
 * no task and records the exit: a missing task is no error to it.
 * A deletion the CRI cut off can leave the container's cgroup frozen: runc kill --all freezes it,
 * signals, and thaws, and killed between the two it thaws nothing. runc then refuses to delete a
 * "paused" container, so the watchdog thaws the cgroup and deletes again.
 * It does not restart containerd: that made the CRI give up every sandbox it could not read within
 * its 10 s, and the kubelet made each pod's sandbox anew (ha run 16, 9 times cutting off the
 * apiserver's; a bootstrap run of 2026-12-02, node1's whole cluster-dns check).
 * Each container is handled once. JOURNAL, CTR and CGROUPS are there for the tests.
 */
export const CRI_EXIT_WATCHDOG_SCRIPT = `#!/bin/sh
set -u
journal=\${JOURNAL:-journalctl -u containerd.service -f -n 0 -o cat}
ctr=\${CTR:-ctr --namespace k8s.io}
cgroups=\${CGROUPS:-/sys/fs/cgroup}
handled=' '
# Ten minutes: a wedged shim must not hold up the next container's exit for good.
delete() { said=$(timeout 600 $ctr tasks delete "$1" 2>&1); }
thaw() {
  for dir in $(find "$cgroups" -type d -name "$1" 2>/dev/null); do
    if [ -f "$dir/freezer.state" ]; then echo THAWED > "$dir/freezer.state"; fi
    if [ -f "$dir/cgroup.freeze" ]; then echo 0 > "$dir/cgroup.freeze"; fi
  done
}
$journal | while IFS= read -r line; do
  case $line in
    *'Failed to handle backOff event'*TaskExit*) ;;
    *) continue ;;
  esac
  id=$(echo "$line" | sed -n 's/.*ContainerID:\\([0-9a-f]\\{64\\}\\).*/\\1/p')
  short=$(echo "$id" | cut -c1-12)
  case $handled in *" $id "*) continue ;; esac
  handled="$handled$id "
  echo "metal-lab: containerd failed again to record the exit of container $short within its 10 s; deleting its stopped task with ctr, which has no limit"
  started=$(date +%s)
  outcome=failed
  if delete "$id"; then
    outcome=deleted
  else
    case $said in
      *'not found'*) outcome=gone ;;
      *'not stopped: paused'*)
        echo "metal-lab: container $short's cgroup is frozen (a kill cut off before its thaw); thawing it"
        thaw "$id"
        if delete "$id"; then outcome=deleted; fi ;;
    esac
  fi
  case $outcome in
    deleted) echo "metal-lab: deleted the task of container $short in $(($(date +%s) - started))s; containerd's next retry records the exit" ;;
    gone) echo "metal-lab: container $short has no task left; containerd's next retry records the exit" ;;
    *) echo "metal-lab: ctr could not delete the task of container $short: $said" ;;
  esac
done
`;

/** Every Kubernetes node: the kubelet restarts nothing the CRI still calls running. */
export function renderCriExitWatchdog(): { files: IgnFile[]; units: IgnUnit[] } {
  return renderWatchdog({
    name: 'cri-exit-watchdog',
    description: "delete a stopped container's task when containerd's CRI cannot record the exit",
    script: CRI_EXIT_WATCHDOG_SCRIPT,
    unit: ['After=containerd.service'],
  });
}
