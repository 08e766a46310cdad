"""The A/B root slots and the boot selection GRUB reads, RAUC-style: in the GRUB environment
block, ORDER lists the slots to try first to last, and GRUB boots the first whose OK=1 and
TRY=0, setting its TRY=1 on the way. The booted system confirms itself by setting TRY=0 and
OK=1 (mark-good); a slot that never confirms is skipped on the next boot."""
import os
import subprocess

from settings import CMDLINE, GRUBENV, SLOT_DEVICES

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
    """The slot's partition, found by its GPT partition label."""
    return os.path.join(SLOT_DEVICES, f'ROOT-{slot}')


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
    write(**{f'{slot}_TRY': '0', f'{slot}_OK': '1'})


def disable(slot: str) -> None:
    """Before a slot is overwritten: whatever happens next, GRUB must not fall back to it."""
    write(**{f'{slot}_OK': '0', f'{slot}_TRY': '0'})


def boot_first(slot: str) -> None:
    """The slot GRUB tries first from the next boot on; it gets one try to confirm itself."""
    write(ORDER=f'{slot} {other(slot)}', **{f'{slot}_OK': '1', f'{slot}_TRY': '0'})
