import os from 'node:os';
import path from 'node:path';

/** The lab's SSH key pair inside its PKI dir (`.pub` beside it): the PKI writes it, SSH reads it. */
export const PKI_SSH_KEY = path.join('ssh', 'id_ed25519');

/** Everything one lab keeps on disk, under `dir` (its state dir, or '' for paths relative to it). */
function labFiles(dir: string) {
  const at = (...parts: string[]) => path.join(dir, ...parts);
  return {
    /** What `up` recorded: the lab as brought up, its accelerator. */
    state: at('state.json'),
    /** Rendered libvirt XML, the files apply hands to virsh. */
    render: at('render'),
    networkXml: at('render', 'network.xml'),
    poolXml: at('render', 'pool.xml'),
    volumeXml: (node: string) => at('render', `volume-${node}.xml`),
    domainXml: (node: string) => at('render', `domain-${node}.xml`),
    tftp: at('tftp'),
    /** The boot server's data dir, in Matchbox's own layout. */
    matchboxData: at('matchbox'),
    matchboxAssets: at('matchbox', 'assets'),
    requestLog: at('requests.jsonl'),
    serverPid: at('matchbox.pid'),
    serverLog: at('matchbox.log'),
    /** The storage pool's directory: one qcow2 volume per node. */
    disks: at('disks'),
    consoleDir: at('console'),
    console: (node: string) => at('console', `${node}.log`),
    /** The lab's CAs, certificates, keys and SSH key pair (private: 0700). */
    pki: at('pki'),
    sshKey: at('pki', PKI_SSH_KEY),
    /** Host keys of the nodes, pinned on first contact. */
    knownHosts: at('known_hosts'),
    /** What the Kubernetes nodes were given to download, with digests. */
    kubeAssets: at('kubernetes.json'),
    /** bootkube's asset dir, rendered by `up`, copied onto the nodes by the `bootstrap` step. */
    bootkube: at('bootkube'),
    bootkubeLog: at('bootkube.log'),
    /** The update operator's manifests (FLUO's and the rollout guard's), in a lab with updates:, ready for the API in file order. */
    updateOperator: at('update-operator'),
  };
}

export type LabFiles = ReturnType<typeof labFiles>;

/** A lab's files relative to its state dir: the keys of a render plan. */
export const LAB_FILES: LabFiles = labFiles('');

/** A lab's files as absolute paths; `down` removes the whole `root`. */
export type LabLayout = LabFiles & { root: string };

/** Where this host keeps lab state and built images: made once (from the environment) and passed in. */
export interface HostLayout {
  /** Every lab's state dir lives under `<stateRoot>/labs/`. */
  stateRoot: string;
  /** Built images (kernel, initramfs, root filesystems, Kubernetes) keyed by their inputs; shared by all labs. */
  cacheRoot: string;
  labsDir: string;
  lab(id: string): LabLayout;
  /** A lab's snapshots, one dir each: beside its state dir, so `down` keeps them (`down --purge` does not). */
  snapshots(id: string): string;
}

/**
 * The one reader of METAL_LAB_HOME and METAL_LAB_CACHE. System libvirt runs qemu as its own user,
 * which cannot traverse /root, so as root everything lives under /var.
 */
export function hostLayout(env: NodeJS.ProcessEnv = process.env, asRoot = process.getuid?.() === 0): HostLayout {
  const home = (override: string | undefined, system: string, user: string) =>
    override ? path.resolve(override) : asRoot ? system : path.join(os.homedir(), user);
  const stateRoot = home(env.METAL_LAB_HOME, '/var/lib/metal-lab', '.local/share/metal-lab');
  const labsDir = path.join(stateRoot, 'labs');
  return {
    stateRoot,
    cacheRoot: home(env.METAL_LAB_CACHE, '/var/cache/metal-lab', '.cache/metal-lab'),
    labsDir,
    lab: (id) => {
      const dir = path.join(labsDir, id);
      return { root: dir, ...labFiles(dir) };
    },
    snapshots: (id) => path.join(stateRoot, 'snapshots', id),
  };
}
