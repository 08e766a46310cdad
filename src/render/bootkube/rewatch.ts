/**
 * The add-ons' outer shell loop: run a kubectl watch pipeline again whenever it ends. A watch that
 * ended within a minute of its start waits twice as long as the last one did (5 s, up to 2 min):
 * each restart is a Go binary started and a full list for the API, and on a TCG control plane
 * still pivoting, restarts every 5 s on every node were load that kept the API too slow to watch.
 */
export function rewatchLoop(what: string, pipeline: string): string {
  return `pause=5
while :; do
  started=$(date +%s)
${pipeline}
  if [ $(($(date +%s) - started)) -ge 60 ]; then pause=5; else pause=$((pause * 2)); [ "$pause" -le 120 ] || pause=120; fi
  echo "${what}: the watch ended; watching again in \${pause}s"
  sleep "$pause"
done
`;
}
