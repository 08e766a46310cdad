"""The A/B /usr slots and the boot selection GRUB reads (/usr/lib/labos/grub.cfg), RAUC-style:
in the GRUB environment block, ORDER lists the slots to try first to last, and GRUB boots the
first whose OK=1 and TRY=0, setting its TRY=1 on the way. The booted system confirms itself by
setting TRY=0 and OK=1 (mark-good); a slot that never confirms is skipped on the next boot.
<slot>_PARTUUID names each slot's partition, as the installer found it. Each slot boots the
kernel and initramfs of its own /usr, copied to /boot/labos/<slot>/."""
import os
import subprocess

from settings import BOOT_DIR, CMDLINE, GRUBENV, SLOT_DEVICES

SLOTS = ('A', 'B')


def booted() -> str:
    with open(CMDLINE, encoding='utf-8') as f:
        args = f.read().split()
    for arg in args:
        if arg.startswith('labos.slot=') and arg[len('labos.slot='):] in SLOTS:
            return arg[len('labos.slot='):]
    raise ValueError(f'no labos.slot=A|B in {CMDLINE}: not an A/B boot')


def other(slot: str) -> str:
    return 'B' if slot == 'A' else 'A'


def device(slot: str) -> str:
    """The slot's partition, found by the PARTUUID the boot selection records for it."""
    partuuid = read().get(f'{slot}_PARTUUID', '')
    if not partuuid or '/' in partuuid:
        raise OSError(f'no {slot}_PARTUUID in {GRUBENV}: not a labos A/B disk')
    return os.path.join(SLOT_DEVICES, partuuid)


# Where a release's /usr keeps the kernel and initramfs it boots with (build.sh puts them there).
SLOT_BOOT_FILES = ('vmlinuz', 'initrd.img')


def install_boot_files(slot: str) -> None:
    """Copies the kernel and initramfs out of the slot's /usr (unmounted: debugfs reads the ext4
    image) into /boot/labos/<slot>/, each through a temporary file and a rename."""
    dest = os.path.join(BOOT_DIR, slot)
    os.makedirs(dest, exist_ok=True)
    for name in SLOT_BOOT_FILES:
        tmp = os.path.join(dest, f'.{name}.new')
        r = subprocess.run(['debugfs', '-R', f'dump /lib/labos/boot/{name} {tmp}', device(slot)],
                           capture_output=True, text=True)
        # debugfs exits 0 even when the file is missing; what it wrote is what counts.
        if r.returncode != 0 or not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
            if os.path.exists(tmp):
                os.unlink(tmp)
            said = r.stderr.strip().splitlines()
            raise OSError(f'slot {slot} has no /usr/lib/labos/boot/{name} ({said[-1] if said else "debugfs failed"}): not a labos /usr image')
        with open(tmp, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(dest, name))


def _editenv(*args: str) -> str:
    r = subprocess.run(['grub-editenv', GRUBENV, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise OSError(f'grub-editenv {GRUBENV} {" ".join(args)}: {r.stderr.strip()}')
    return r.stdout


def read() -> dict[str, str]:
    return dict(line.split('=', 1) for line in _editenv('list').splitlines() if '=' in line)


def write(**values: str) -> None:
    _editenv('set', *(f'{k}={v}' for k, v in values.items()))


def is_good(env: dict[str, str], slot: str) -> bool:
    return env.get(f'{slot}_OK') == '1' and env.get(f'{slot}_TRY') == '0'


def mark_good(slot: str) -> None:
    """The booted slot is good and boots first. A slot that was tried and never confirmed
    itself (a failed update) is no longer complete: it boots again only once rewritten."""
    other_slot = other(slot)
    env = read()
    failed = env.get(f'{other_slot}_TRY') == '1'
    write(ORDER=f'{slot} {other_slot}', **{f'{slot}_TRY': '0', f'{slot}_OK': '1'},
          **({f'{other_slot}_OK': '0', f'{other_slot}_TRY': '0'} if failed else {}))


def disable(slot: str) -> None:
    """Before a slot is overwritten: whatever happens next, GRUB must not fall back to it."""
    write(**{f'{slot}_OK': '0', f'{slot}_TRY': '0'})


def boot_first(slot: str) -> None:
    """The slot GRUB tries first from the next boot on; it gets one try to confirm itself."""
    write(ORDER=f'{slot} {other(slot)}', **{f'{slot}_OK': '1', f'{slot}_TRY': '0'})
