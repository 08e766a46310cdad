"""What the engine reads from the node. Every path has an environment override, so the host
test runs the real engine against plain files; the defaults are the node's real paths."""
import os
from typing import NamedTuple

UPDATE_CONF = os.environ.get('LABOS_UPDATE_CONF', '/etc/labos/update.conf')
RELEASE_KEY = os.environ.get('LABOS_RELEASE_KEY', '/etc/labos/release.pub')
# Flatcar's channel files, read with Flatcar's semantics: /etc overrides /usr/share.
GROUP_CONF = os.environ.get('LABOS_GROUP_CONF', '/usr/share/flatcar/update.conf')
GROUP_CONF_OVERRIDE = os.environ.get('LABOS_GROUP_CONF_OVERRIDE', '/etc/flatcar/update.conf')
OS_RELEASE = os.environ.get('LABOS_OS_RELEASE', '/etc/os-release')
CMDLINE = os.environ.get('LABOS_CMDLINE', '/proc/cmdline')
SLOT_DEVICES = os.environ.get('LABOS_SLOT_DEVICES', '/dev/disk/by-partuuid')
GRUBENV = os.environ.get('LABOS_GRUBENV', '/boot/grub/grubenv')
BOOT_DIR = os.environ.get('LABOS_BOOT_DIR', '/boot/labos')
# update_engine's marker: an applied update survives an engine restart until the reboot.
MARKER = os.environ.get('LABOS_UPDATE_MARKER', '/run/update_engine_autoupdate_completed')

DEFAULT_CHECK_INTERVAL = 300


class Settings(NamedTuple):
    server: str
    channel: str
    version: str


def read_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines as os-release(5) has them (values may be quoted); a missing file is empty."""
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    values = {}
    for line in lines:
        key, sep, value = line.strip().partition('=')
        if sep and key and not key.startswith('#'):
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            values[key] = value
    return values


def check_interval() -> int:
    raw = read_env_file(UPDATE_CONF).get('CHECK_INTERVAL', '')
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_CHECK_INTERVAL


def server() -> str:
    """The boot server serving the release channels; '' until Ignition configured one."""
    return read_env_file(UPDATE_CONF).get('SERVER', '').rstrip('/')


def load() -> Settings:
    """Read at every check, so a config Ignition (or an admin) changes takes effect without a restart."""
    url = server()
    if not url:
        raise ValueError(f'no SERVER= in {UPDATE_CONF}')
    channel = {**read_env_file(GROUP_CONF), **read_env_file(GROUP_CONF_OVERRIDE)}.get('GROUP', '')
    if not channel:
        raise ValueError(f'no GROUP= in {GROUP_CONF} or {GROUP_CONF_OVERRIDE}')
    version = read_env_file(OS_RELEASE).get('VERSION', '')
    if not version:
        raise ValueError(f'no VERSION= in {OS_RELEASE}')
    return Settings(url, channel, version)
