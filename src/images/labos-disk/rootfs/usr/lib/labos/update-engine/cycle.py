"""One update attempt: check the channel, and install a newer signed release into the other slot.

Nothing unverified reaches a slot or the boot selection: the manifest's signature is checked
before anything in it is used; the payload is downloaded once only to check its size and
SHA-512 (no space on the node holds a second root filesystem); only then is the other slot
disabled in the boot selection and the payload downloaded again into it, hashed again, and
that slot put first."""
import logging
import os
import stat
import time
from typing import Callable

import marker
import release
import settings
import slots
from release import Refused
from status import (CHECKING_FOR_UPDATE, DOWNLOADING, FINALIZING, REPORTING_ERROR_EVENT, RESET,
                    UPDATE_AVAILABLE, UPDATED_NEED_REBOOT, VERIFYING, Status)

log = logging.getLogger('update-engine')

# Publishes a status change: publish(current_operation=..., progress=..., ...).
Publish = Callable[..., None]


def attempt(publish: Publish) -> None:
    if not settings.server():
        # Every node runs the engine (the update agent needs it on the bus); only some update.
        log.info('no SERVER= in %s: not checking for updates', settings.UPDATE_CONF)
        return
    publish(current_operation=CHECKING_FOR_UPDATE, progress=0.0)
    try:
        done = _attempt(publish)
    except Refused as e:
        log.error('update refused: %s', e)
    except Exception as e:  # noqa: BLE001 - any failure ends the attempt, never the engine
        log.error('update failed: %s: %s', type(e).__name__, e)
    else:
        if not done:
            publish(**RESET)
        return
    publish(current_operation=REPORTING_ERROR_EVENT)
    publish(**RESET)


def _attempt(publish: Publish) -> bool:
    """True when an update was installed; False when there is nothing to do."""
    conf = settings.load()
    log.info('checking channel %s at %s (running %s)', conf.channel, conf.server, conf.version)
    found = release.latest(conf.server, conf.channel, settings.RELEASE_KEY)
    checked = int(time.time())
    publish(last_checked_time=checked)
    if found is None:
        log.info('no release on channel %s (404)', conf.channel)
        return False
    if found.version == conf.version:
        log.info('up to date: channel %s has %s', conf.channel, found.version)
        return False
    log.info('release %s available: %s, %d bytes', found.version, found.payload_url, found.size)
    publish(current_operation=UPDATE_AVAILABLE, new_version=found.version, new_size=found.size)

    target, device = _target_slot(found.size)
    publish(current_operation=DOWNLOADING, progress=0.0)
    steps = [0]

    def progress(fraction: float) -> None:
        # A signal per tenth: enough to watch, few enough for the bus.
        if int(fraction * 10) > steps[0]:
            steps[0] = int(fraction * 10)
            publish(progress=steps[0] / 10)

    digest = release.download(found, progress)
    publish(current_operation=VERIFYING)
    if digest != found.sha512:
        raise Refused(f'sha512 mismatch: {found.payload_url} hashes to {digest[:16]}..., the signed manifest says {found.sha512[:16]}...')
    log.info('payload verified: %d bytes, sha512 as signed', found.size)

    publish(current_operation=FINALIZING)
    slots.disable(target)
    log.info('writing %s to slot %s (%s)', found.version, target, device)
    fd = os.open(device, os.O_WRONLY | os.O_TRUNC)  # never O_CREAT: a missing device is an error
    with os.fdopen(fd, 'wb') as out:
        written = release.download(found, lambda _: None, out)
        out.flush()
        os.fsync(out.fileno())
    if written != found.sha512:
        raise Refused(f'sha512 mismatch: {found.payload_url} changed between two downloads; slot {target} stays disabled')
    try:
        slots.install_boot_files(target)
    except OSError as e:
        raise Refused(f'{e}; slot {target} stays disabled') from e
    slots.boot_first(target)
    log.info('slot %s boots next with %s (ORDER=%s %s)', target, found.version, target, slots.other(target))
    done = Status(checked, 1.0, UPDATED_NEED_REBOOT, found.version, found.size)
    marker.write(done)
    publish(**done._asdict())
    return True


def _target_slot(size: int) -> tuple[str, str]:
    """The slot the update goes to: the one not booted, if the booted one is confirmed good."""
    booted = slots.booted()
    target = slots.other(booted)
    env = slots.read()
    if not slots.is_good(env, booted):
        raise Refused(f'booted slot {booted} is not marked good yet ({booted}_OK={env.get(f"{booted}_OK")}, '
                      f'{booted}_TRY={env.get(f"{booted}_TRY")}): slot {target} is its fallback and stays')
    device = slots.device(target)
    st = os.stat(device)
    if stat.S_ISBLK(st.st_mode):
        with open(device, 'rb') as f:
            room = f.seek(0, os.SEEK_END)
        if room < size:
            raise Refused(f'slot {target} ({device}) has {room} bytes, the payload needs {size}')
    return target, device
