import type { IgnFile, IgnUnit } from './ignition-files.js';
import { renderWatchdog } from './watchdog.js';

/**
 * containerd 1.6's CRI gives itself 10 s to record a container's exit: delete the stopped task
 * (the shim runs `runc delete`), then mark the container exited. Under TCG load that runs out;
 * every retry is cut off at 10 s too (containerd#9240), and the CRI reports the dead container as
 * running for good, so the kubelet never restarts it. In lab ha run 14 node1's apiserver stayed
 * "running" with 6443 closed for 30 minutes. A containerd restart helped there, but only because
 * its recovery deletes stopped tasks in another 10 s: in run 16 the bootstrap controller-manager's
 * exit failed again after each of 14 restarts, and 9 of them cut off the sandbox the kubelet was
 * making for the apiserver.
 * So the watchdog deletes the stopped task itself, with ctr, which waits as long as the shim takes.
 * The CRI's next retry then finds no task and records the exit (a missing task is no error to it).
 * Only if ctr fails does it restart containerd, at most once per QUIET seconds. Each container is
 * handled once. JOURNAL, DELETE, RESTART and QUIET are there for the tests.
 */
export const CRI_EXIT_WATCHDOG_SCRIPT = `#!/bin/sh
set -u
journal=\${JOURNAL:-journalctl -u containerd.service -f -n 0 -o cat}
delete=\${DELETE:-ctr --namespace k8s.io tasks delete}
restart=\${RESTART:-systemctl restart containerd.service}
quiet=\${QUIET:-120}
last=0
handled=' '
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
  # Ten minutes: a wedged shim must not hold up the next container's exit for good.
  if said=$(timeout 600 $delete "$id" 2>&1); then
    echo "metal-lab: deleted the task of container $short in $(($(date +%s) - started))s; containerd's next retry records the exit"
    continue
  fi
  case $said in
    *'not found'*) echo "metal-lab: container $short has no task left; containerd's next retry records the exit"; continue ;;
  esac
  now=$(date +%s)
  if [ $((now - last)) -lt "$quiet" ]; then
    echo "metal-lab: ctr could not delete the task of container $short ($said); containerd was restarted less than \${quiet}s ago"
    continue
  fi
  last=$now
  echo "metal-lab: ctr could not delete the task of container $short ($said); restarting containerd, which reads every task's state anew"
  $restart
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
