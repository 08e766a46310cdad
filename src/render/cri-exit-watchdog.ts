import type { IgnFile, IgnUnit } from './ignition-files.js';
import { renderWatchdog } from './watchdog.js';

/**
 * containerd 1.6's CRI gives itself 10 s to record a container's exit (delete the task, mark the
 * container exited). Under TCG load that can run out, and then it retries with a backoff that
 * keeps failing (containerd#9240): the CRI reports the dead container as running for good, so
 * the kubelet never restarts it. In lab ha run 14, node1's self-hosted apiserver exited while
 * etcd was slow, and stayed "running" for 30 minutes with 6443 closed, until containerd was
 * restarted by hand: a restarted containerd reads every task's state again, the kubelet saw the
 * exit and started a new apiserver at once. Running containers keep running across the restart.
 * This loop does that restart when a retry fails, at most once per QUIET seconds.
 * Once per container: in ha run 16 the bootstrap controller-manager's exit failed again after
 * every restart, and the watchdog restarted containerd on node1 every 2-2.5 minutes for 45
 * minutes, 9 times cutting off the sandbox the kubelet was making for the apiserver pod.
 * A container whose exit fails again after its restart is named once and left alone.
 * JOURNAL, RESTART and QUIET are there for the tests.
 */
export const CRI_EXIT_WATCHDOG_SCRIPT = `#!/bin/sh
set -u
journal=\${JOURNAL:-journalctl -u containerd.service -f -n 0 -o cat}
restart=\${RESTART:-systemctl restart containerd.service}
quiet=\${QUIET:-120}
last=0
restarted=' '
$journal | while IFS= read -r line; do
  case $line in
    *'Failed to handle backOff event'*TaskExit*) ;;
    *) continue ;;
  esac
  now=$(date +%s)
  [ $((now - last)) -ge "$quiet" ] || continue
  id=$(echo "$line" | sed -n 's/.*ContainerID:\\([0-9a-f]\\{12\\}\\).*/\\1/p')
  case $restarted in
    *" $id! "*) continue ;;
    *" $id "*)
      restarted="$restarted$id! "
      echo "metal-lab: containerd still cannot record the exit of container $id after a restart for it; the watchdog leaves it, as restarting again would not help"
      continue ;;
  esac
  last=$now
  restarted="$restarted$id "
  echo "metal-lab: containerd failed again to record the exit of container $id; restarting containerd, which reads every task's state anew"
  $restart
done
`;

/** Every Kubernetes node: the kubelet restarts nothing the CRI still calls running. */
export function renderCriExitWatchdog(): { files: IgnFile[]; units: IgnUnit[] } {
  return renderWatchdog({
    name: 'cri-exit-watchdog',
    description: "restart containerd when its CRI cannot record a container's exit",
    script: CRI_EXIT_WATCHDOG_SCRIPT,
    unit: ['After=containerd.service'],
  });
}
