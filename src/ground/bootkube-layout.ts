import { NODE_PATHS } from './cluster.js';

/**
 * bootkube's asset dir as the render writes it and the pivot copies it: which files are private,
 * and where each goes on a node (src/render/bootkube/README.md has the whole layout).
 */

/** File name of the bootstrap components' kubeconfig in the bootstrap secrets dir. */
export const BOOTSTRAP_KUBECONFIG = 'kubeconfig';

/** Where the pivot and the nodes put the rendered files; the asset dir keeps its own copy. */
export const ASSET_NODE_PATHS = {
  'tls/': `${NODE_PATHS.bootstrapSecrets}/`,
  'auth/bootstrap-kubeconfig': `${NODE_PATHS.bootstrapSecrets}/${BOOTSTRAP_KUBECONFIG}`,
  'bootstrap-manifests/': `${NODE_PATHS.staticPods}/`,
  'auth/kubelet/<node>.kubeconfig': NODE_PATHS.kubeconfig,
  'checkpoints/secrets/': `${NODE_PATHS.checkpointSecrets}/`,
} as const;

/** Keys, kubeconfigs (they hold or point at credentials) and Secret manifests are private. */
export function assetMode(rel: string): number {
  return rel.endsWith('.key') || rel.startsWith('auth/') || rel.endsWith('-secret.yaml') ? 0o600 : 0o644;
}

const PRIVATE_DIRS = new Set(['tls', 'auth', 'auth/kubelet', 'checkpoints/secrets']);

export function assetDirMode(rel: string): number {
  return PRIVATE_DIRS.has(rel) ? 0o700 : 0o755;
}
