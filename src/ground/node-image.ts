/** What a labos guest boots with: facts the image builders bake in and the render hands to the nodes. */

/**
 * Kernel arguments every lab guest boots with, live or installed. Under TCG on a busy host a
 * vCPU can miss the timer ticks the kernel counts while it checks the IO-APIC timer at boot:
 * it then panics ("IO-APIC + timer doesn't work!"), seen here with three guests and a build
 * on 2 cores. `no_timer_check` skips that check, as cloud images do for virtual machines;
 * `panic=10` makes any later panic reboot the node instead of leaving it dead.
 *
 * `tsc=reliable`: TCG's CPU is an AMD one without constant_tsc, and the kernel trusts no such
 * TSC on more than one CPU. It then keeps time with the HPET, whose every read is an emulated
 * device access and a system call (no vDSO): 4.8-7.0 µs per read on an idle host against the
 * TSC's 0.22-0.28 µs, and Go programs read the clock all the time. TCG's TSC is the host's, the
 * same on every vCPU. Under KVM, kvm-clock outranks the TSC either way.
 */
export const GUEST_KERNEL_ARGS = ['no_timer_check', 'panic=10', 'tsc=reliable'] as const;

/** The root filesystem's label; the kernel command line mounts it with root=LABEL=. */
export const ROOT_LABEL = 'root';
/** The label of a release's /usr filesystem (the same in both slots: GRUB names the slot by PARTUUID). */
export const USR_LABEL = 'usr';

/** What makes the dracut module's generator queue Ignition's stages; GRUB adds it on the first boot only. */
export const FIRST_BOOT_ARG = 'ignition.firstboot';

/**
 * v1 controllers nothing on a node uses. Every 2 s the kubelet lists each mounted controller's
 * QoS cgroups for orphaned pods, statting every file in them (about 40% of an idle kubelet's
 * CPU under TCG, by pprof): 15 mounts become 10.
 */
const V1_CONTROLLERS_OFF = 'cgroup_disable=perf_event,net_cls,net_prio,rdma,misc';

/**
 * The kernel command line a disk with this image boots with; GRUB adds the slot's /usr and,
 * while /boot/labos/first_boot exists, FIRST_BOOT_ARG (rootfs/usr/lib/labos/grub.cfg).
 * `ignition.platform.id=metal` reads the config from `ignition.config.url`.
 */
export function diskKernelArgs(configUrl: string): string[] {
  return [
    `root=LABEL=${ROOT_LABEL}`,
    'console=tty0',
    'console=ttyS0,115200',
    ...GUEST_KERNEL_ARGS,
    // Kubernetes 1.20's kubelet and containerd 1.6 are proven on cgroup v1; Debian 12 boots v2 by default.
    'systemd.unified_cgroup_hierarchy=0',
    V1_CONTROLLERS_OFF,
    'ignition.platform.id=metal',
    `ignition.config.url=${configUrl}`,
  ];
}
