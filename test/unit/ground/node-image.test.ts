import test from 'ava';
import { diskKernelArgs, FIRST_BOOT_ARG } from '../../../src/ground/node-image.js';

test('the kernel command line names the root label, the console, the guest robustness args and Ignition\'s metal platform', (t) => {
  t.deepEqual(diskKernelArgs('http://172.18.0.2:8080/ignition?mac=52:54:00:a1:9c:ae&os=installed'), [
    'root=LABEL=root',
    'console=tty0',
    'console=ttyS0,115200',
    'no_timer_check',
    'panic=10',
    'tsc=reliable',
    'systemd.unified_cgroup_hierarchy=0',
    'cgroup_disable=perf_event,net_cls,net_prio,rdma,misc',
    'ignition.platform.id=metal',
    'ignition.config.url=http://172.18.0.2:8080/ignition?mac=52:54:00:a1:9c:ae&os=installed',
  ]);
  t.false(diskKernelArgs('http://x/').includes(FIRST_BOOT_ARG), 'GRUB adds it on the first boot only');
});
