import os from 'node:os';
import path from 'node:path';

/**
 * Where the lab keeps state and caches. System libvirt runs qemu as its own user, which
 * cannot traverse /root, so as root everything lives under /var; METAL_LAB_HOME overrides.
 */
export function stateRoot(): string {
  if (process.env.METAL_LAB_HOME) return path.resolve(process.env.METAL_LAB_HOME);
  return process.getuid?.() === 0 ? '/var/lib/metal-lab' : path.join(os.homedir(), '.local/share/metal-lab');
}

/** Built images (kernel, initramfs, ...) keyed by their inputs; shared by all labs. */
export function cacheRoot(): string {
  if (process.env.METAL_LAB_CACHE) return path.resolve(process.env.METAL_LAB_CACHE);
  return process.getuid?.() === 0 ? '/var/cache/metal-lab' : path.join(os.homedir(), '.cache/metal-lab');
}

/** Everything one lab owns on disk; `down` removes the whole `root`. */
export function labPaths(labId: string) {
  const root = path.join(stateRoot(), 'labs', labId);
  return {
    root,
    state: path.join(root, 'state.json'),
    render: path.join(root, 'render'),
    tftp: path.join(root, 'tftp'),
    matchboxData: path.join(root, 'matchbox'),
    matchboxAssets: path.join(root, 'matchbox', 'assets'),
    requestLog: path.join(root, 'requests.jsonl'),
    serverPid: path.join(root, 'matchbox.pid'),
    serverLog: path.join(root, 'matchbox.log'),
    disks: path.join(root, 'disks'),
    consoleDir: path.join(root, 'console'),
    console: (node: string) => path.join(root, 'console', `${node}.log`),
  };
}
