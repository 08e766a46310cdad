import { meta, type KubeObject } from '../bootkube/objects.js';
import type { Mount } from '../bootkube/pod.js';
import { fluoImageRef } from '../../ground/cluster.js';
import { BIN_DIR, fieldEnv, podTemplate } from './pod.js';
import { AGENT, AGENT_SERVICE_ACCOUNT, NAMESPACE } from './rbac.js';

const hostMount = (name: string, path: string, readOnly: boolean, type?: string): Mount => ({
  name,
  mountPath: path,
  readOnly,
  source: { hostPath: { path, ...(type ? { type } : {}) } },
});

/**
 * The node's files the agent reads, as upstream mounts them: the system bus (update_engine's
 * status, logind's reboot), the channel (GROUP in update.conf: /etc/flatcar overrides
 * /usr/share/flatcar) and os-release (ID and VERSION, which it puts on the node as labels).
 */
const AGENT_MOUNTS: Mount[] = [
  hostMount('var-run-dbus', '/var/run/dbus', false),
  // The override is optional and labos has none: an empty dir rather than a failed mount.
  hostMount('etc-flatcar', '/etc/flatcar', true, 'DirectoryOrCreate'),
  hostMount('usr-share-flatcar', '/usr/share/flatcar', true),
  hostMount('etc-os-release', '/etc/os-release', true),
];

/** One agent per node, controllers included: every node's reboots go through the operator. */
export function agentDaemonSet(): KubeObject {
  const template = podTemplate({
    app: AGENT,
    container: 'update-agent',
    serviceAccountName: AGENT_SERVICE_ACCOUNT,
    image: fluoImageRef(),
    command: [`${BIN_DIR}/update-agent`],
    // The node it manages (flag --node, from the environment by FLUO's UPDATE_AGENT_ prefix).
    env: [fieldEnv('UPDATE_AGENT_NODE', 'spec.nodeName')],
    mounts: AGENT_MOUNTS,
    // D-Bus and logind let root ask for a reboot; upstream's image runs as 65534 otherwise.
    securityContext: { runAsUser: 0 },
    tolerations: [{ operator: 'Exists' }],
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(AGENT, {}, NAMESPACE),
    spec: {
      // One node's agent restarts at a time when the DaemonSet changes.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: template.metadata.labels },
      template,
    },
  };
}
