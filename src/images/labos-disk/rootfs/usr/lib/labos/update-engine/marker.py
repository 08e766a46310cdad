"""update_engine's reboot marker: written once an update is installed, on /run so the reboot
clears it. A restarted engine that finds it reports UPDATED_NEED_REBOOT again, for what it holds."""
import os

from settings import MARKER, read_env_file
from status import NO_VERSION, UPDATED_NEED_REBOOT, Status


def write(status: Status) -> None:
    with open(MARKER, 'w', encoding='utf-8') as f:
        f.write(f'NEW_VERSION={status.new_version}\nNEW_SIZE={status.new_size}\n'
                f'LAST_CHECKED_TIME={status.last_checked_time}\n')


def read() -> Status | None:
    if not os.path.exists(MARKER):
        return None
    m = read_env_file(MARKER)
    number = lambda key: int(m[key]) if m.get(key, '').isdigit() else 0  # noqa: E731
    return Status(number('LAST_CHECKED_TIME'), 1.0, UPDATED_NEED_REBOOT,
                  m.get('NEW_VERSION') or NO_VERSION, number('NEW_SIZE'))


def remove() -> None:
    if os.path.exists(MARKER):
        os.remove(MARKER)
