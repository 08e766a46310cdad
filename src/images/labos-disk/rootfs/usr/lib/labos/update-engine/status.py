"""update_engine's status, as GetStatus and StatusUpdate carry it: (x d s s x)."""
from typing import NamedTuple

IDLE = 'UPDATE_STATUS_IDLE'
CHECKING_FOR_UPDATE = 'UPDATE_STATUS_CHECKING_FOR_UPDATE'
UPDATE_AVAILABLE = 'UPDATE_STATUS_UPDATE_AVAILABLE'
DOWNLOADING = 'UPDATE_STATUS_DOWNLOADING'
VERIFYING = 'UPDATE_STATUS_VERIFYING'
FINALIZING = 'UPDATE_STATUS_FINALIZING'
UPDATED_NEED_REBOOT = 'UPDATE_STATUS_UPDATED_NEED_REBOOT'
REPORTING_ERROR_EVENT = 'UPDATE_STATUS_REPORTING_ERROR_EVENT'

# update_engine's new_version when there is none.
NO_VERSION = '0.0.0'


class Status(NamedTuple):
    last_checked_time: int = 0
    progress: float = 0.0
    current_operation: str = IDLE
    new_version: str = NO_VERSION
    new_size: int = 0


# Back to IDLE: no update in hand.
RESET = {'current_operation': IDLE, 'progress': 0.0, 'new_version': NO_VERSION, 'new_size': 0}
