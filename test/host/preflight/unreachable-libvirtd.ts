// Imported first by daemons.test.ts: virsh.ts reads the URI when it loads. A socket that does
// not exist is a real, unreachable libvirtd without stopping the host's.
process.env.METAL_LAB_LIBVIRT_URI = 'qemu:///system?socket=/nonexistent/libvirt-sock';
