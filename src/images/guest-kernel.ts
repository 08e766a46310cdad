/**
 * Kernel arguments every lab guest boots with, live or installed. Under TCG on a busy host a
 * vCPU can miss the timer ticks the kernel counts while it checks the IO-APIC timer at boot:
 * it then panics ("IO-APIC + timer doesn't work!"), seen here with three guests and a build
 * on 2 cores. `no_timer_check` skips that check, as cloud images do for virtual machines;
 * `panic=10` makes any later panic reboot the node instead of leaving it dead.
 */
export const GUEST_KERNEL_ARGS = ['no_timer_check', 'panic=10'] as const;
