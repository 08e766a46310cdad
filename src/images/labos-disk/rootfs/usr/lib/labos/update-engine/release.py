"""The channel protocol of the lab's boot server: {server}/releases/{channel}/release.json (a
JSON manifest), release.json.sig (an RSA PKCS#1 v1.5 SHA-256 signature over exactly those
bytes, by the lab's release key) and the payload the manifest names (a labos /usr image)."""
import hashlib
import http.client
import json
import re
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import BinaryIO, Callable, NamedTuple

TIMEOUT = 60
CHUNK = 1 << 20


class Refused(Exception):
    """A release or payload the engine will not install; the message is the reason."""


class Release(NamedTuple):
    version: str
    payload_url: str
    size: int
    sha512: str


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
        return r.read()


def _verify(data: bytes, signature: bytes, key: str, url: str) -> None:
    # openssl reads the signature from a file and the signed bytes from stdin.
    with tempfile.NamedTemporaryFile(prefix='release-sig-') as sig:
        sig.write(signature)
        sig.flush()
        r = subprocess.run(['openssl', 'dgst', '-sha256', '-verify', key, '-signature', sig.name],
                           input=data, capture_output=True)
    if r.returncode != 0:
        said = (r.stdout + r.stderr).decode(errors='replace').strip().splitlines()
        raise Refused(f'bad signature: {url}.sig does not verify with {key} ({said[0] if said else "openssl failed"})')


def _parse(data: bytes, channel: str, base: str) -> Release:
    try:
        m = json.loads(data)
        version, name, size, sha512 = m['version'], m['payload'], m['size'], m['sha512']
    except (ValueError, KeyError, TypeError):
        m = None
    if m is None or not isinstance(version, str) or not version or type(size) is not int or size <= 0:
        raise Refused(f'{base}/release.json is not a release manifest (version, channel, payload, size, sha512)')
    if m.get('channel') != channel:
        raise Refused(f'{base}/release.json is signed for channel {m.get("channel")!r}, not {channel!r}')
    if not isinstance(name, str) or not re.fullmatch(r'[A-Za-z0-9._-]+', name) or name.startswith('.'):
        raise Refused(f'{base}/release.json names payload {name!r}, not a plain file name')
    if not isinstance(sha512, str) or not re.fullmatch(r'[0-9a-f]{128}', sha512):
        raise Refused(f'{base}/release.json has no hex sha512')
    return Release(version, f'{base}/{name}', size, sha512)


def latest(server: str, channel: str, key: str) -> Release | None:
    """The channel's signed release, or None when the channel has none (404)."""
    base = f'{server}/releases/{urllib.parse.quote(channel, safe="")}'
    try:
        manifest = _get(f'{base}/release.json')
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
    # Nothing in the manifest is believed, not even its version, before its signature checks out.
    _verify(manifest, _get(f'{base}/release.json.sig'), key, f'{base}/release.json')
    return _parse(manifest, channel, base)


def download(release: Release, progress: Callable[[float], None], out: BinaryIO | None = None) -> str:
    """Streams the payload (into `out` if given), refusing one of another size; returns its sha512."""
    digest, got = hashlib.sha512(), 0
    try:
        with urllib.request.urlopen(release.payload_url, timeout=TIMEOUT) as r:
            length = r.headers.get('Content-Length')
            if length is not None and int(length) != release.size:
                raise Refused(f'size mismatch: {release.payload_url} is {length} bytes, the signed manifest says {release.size}')
            while chunk := r.read(CHUNK):
                got += len(chunk)
                if got > release.size:
                    raise Refused(f'size mismatch: {release.payload_url} is longer than the {release.size} bytes the signed manifest says')
                digest.update(chunk)
                if out:
                    out.write(chunk)
                progress(got / release.size)
    except http.client.IncompleteRead:
        pass  # counted below: the connection ended early
    if got != release.size:
        raise Refused(f'size mismatch: {release.payload_url} ended after {got} of {release.size} bytes')
    return digest.hexdigest()
