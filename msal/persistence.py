"""A token cache kept in a file that several processes can share safely.

:class:`PersistedTokenCache` is a :class:`~msal.SerializableTokenCache` whose every read sees
what other processes wrote, and whose every write is merged into the file under a lock::

    from msal.persistence import PersistedTokenCache, FernetEncryption
    cache = PersistedTokenCache("token_cache.bin", encryption=FernetEncryption(key))
    app = msal.PublicClientApplication(..., token_cache=cache)

How it stays safe:

* **Writes** take an exclusive lock on a sidecar file (``<path>.lock``; ``fcntl.flock`` on POSIX,
  ``msvcrt.locking`` on Windows), reload the file, apply this process's change on top of what is
  there, and replace the file atomically (temporary file in the same directory, ``fsync``,
  ``os.replace``, ``fsync`` of the directory). Two processes adding different tokens lose nothing,
  and a process killed while saving leaves the previous file intact.
* **Reads** need no lock: the file is only ever replaced whole. Before each lookup the cache
  compares the file's identity (inode, size, mtime) with what it loaded, one ``stat`` per call,
  or fewer with ``check_interval``.
* **Files** are created with mode 0600; looser permissions found on an existing file are repaired.
  Neither the cache file nor its lock file is followed through a symbolic link, and a cache file
  owned by another user is refused (:class:`UntrustedCacheFileError`): in a shared directory,
  someone else could otherwise plant tokens, or have this process create or chmod a file of their
  choosing.
* **Corruption** is reported as :class:`CacheFileError` naming the file; the file is never wiped.
* **At rest** the file is encrypted with a key the application supplies
  (:class:`FernetEncryption`) or one kept in the system keyring (:class:`KeyringEncryption`, needs
  the ``keyring`` extra). A plaintext file (the same JSON as ``serialize()``, readable by the other
  MSAL libraries) needs ``encryption=None, allow_plaintext=True``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Optional, Protocol, Tuple

from .oauth2cli.tolerant import tolerant
from ._cache import hooks
from .token_cache import SerializableTokenCache

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

__all__ = [
    "PersistedTokenCache",
    "Encryption",
    "FernetEncryption",
    "KeyringEncryption",
    "CacheFileError",
    "UntrustedCacheFileError",
    "CacheLockTimeout",
]

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
_TEMP_SUFFIX = ".tmp"


class CacheFileError(ValueError):
    """The cache file exists but cannot be used (corrupt, or encrypted with another key).

    The file is left as it is, so that nothing is lost while someone looks at it.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__("Token cache file {!r} {}; it was left untouched".format(path, reason))
        self.path = path


class UntrustedCacheFileError(CacheFileError):
    """The cache file or its lock file is a symbolic link, not a regular file, or not ours.

    Such a file may have been planted by someone else; it is neither read nor changed.
    """


class CacheLockTimeout(TimeoutError):
    """Another process held the cache file's lock for longer than ``lock_timeout``."""


class Encryption(Protocol):
    """What :class:`PersistedTokenCache` needs to protect the file at rest."""

    def encrypt(self, plaintext: bytes) -> bytes: ...

    def decrypt(self, ciphertext: bytes) -> bytes:
        """The plaintext; ``ValueError`` when the data was not made with this key."""
        ...


# Encrypted files start with this header and the id of their key, then the Fernet token; a file
# that is a bare Fernet token (the first format) is still read.
_HEADER = b"msal-token-cache fernet key-id="


def _key_id(key: bytes) -> str:
    """A short public name for a key: tells keys apart without saying anything about them."""
    import hashlib

    return hashlib.sha256(b"msal-token-cache key id\0" + key).hexdigest()[:16]


def _split_header(data: bytes) -> Tuple[Optional[str], bytes]:
    """(key id, Fernet token) of an encrypted file; no key id in the first format."""
    if not data.startswith(_HEADER):
        return None, data
    line, _, token = data.partition(b"\n")
    return line[len(_HEADER) :].decode("ascii", "replace"), token


class FernetEncryption(object):
    """Authenticated encryption (AES-128-CBC + HMAC-SHA256, ``cryptography``'s Fernet).

    ``key`` is 32 url-safe base64-encoded bytes, e.g. from :meth:`generate_key`; keep it out of
    the cache's directory. The file names the key's id (``key_id``), so that a file read with
    another key is reported as such.
    """

    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet

        self._fernet: Optional[Fernet] = Fernet(key)
        self.key_id: Optional[str] = _key_id(key)

    @staticmethod
    def generate_key() -> bytes:
        from cryptography.fernet import Fernet

        return Fernet.generate_key()

    def encrypt(self, plaintext: bytes) -> bytes:
        fernet = self._key(create=True)
        if fernet is None:
            raise ValueError("cannot encrypt: " + self._missing_key())
        return _HEADER + str(self.key_id).encode("ascii") + b"\n" + fernet.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        file_key_id, token = _split_header(ciphertext)
        fernet = self._key(create=False)
        if fernet is None:
            raise ValueError(
                "cannot be decrypted: {} (the file's key id is {})".format(
                    self._missing_key(), file_key_id or "not recorded"
                )
            )
        if file_key_id is not None and file_key_id != self.key_id:
            raise ValueError(
                "cannot be decrypted with this key: the file was encrypted with key "
                "id {}, this key's id is {}".format(file_key_id, self.key_id)
            )
        try:
            return fernet.decrypt(token)
        except InvalidToken:
            raise ValueError("cannot be decrypted with this key (another key, or damaged data)")

    def _key(self, create: bool) -> "Optional[Fernet]":
        """The Fernet instance; subclasses may fetch or create their key on first use."""
        return self._fernet

    def _missing_key(self) -> str:
        return "no key"

    def __repr__(self) -> str:
        return "FernetEncryption(key=<hidden>)"


class KeyringEncryption(FernetEncryption):
    """Fernet with a key kept in the system keyring, created there on first use.

    Needs the optional ``keyring`` package (``pip install msal[keyring]``) and a working backend
    (macOS Keychain, Windows Credential Locker, Secret Service on Linux desktops).

    The key is looked up when first needed, and created only to encrypt: a
    :class:`PersistedTokenCache` encrypts under its file lock, after reading the file, so two
    processes starting together on one file cannot each create a key. After storing a new key it
    reads it back and uses what the keyring holds, so that when processes sharing the keyring
    entry through different files race, they still end up with the same key.
    """

    def __init__(self, service_name: str = "msal-token-cache", key_name: str = "encryption-key") -> None:
        try:
            import keyring
        except ImportError:
            raise ImportError(
                "KeyringEncryption needs the 'keyring' package: pip install 'msal[keyring]'"
            ) from None
        self._keyring = keyring
        self._fernet = None
        self.key_id = None
        self.service_name, self.key_name = service_name, key_name

    def _key(self, create: bool) -> "Optional[Fernet]":
        if self._fernet is None:
            key = self._keyring.get_password(self.service_name, self.key_name)
            if not key and create:
                self._keyring.set_password(
                    self.service_name, self.key_name, self.generate_key().decode("ascii")
                )
                key = self._keyring.get_password(self.service_name, self.key_name)  # who won
                if not key:
                    raise ValueError("the keyring did not keep the new key under {}".format(self._entry()))
            if key:
                FernetEncryption.__init__(self, key.encode("ascii"))
        return self._fernet

    def _missing_key(self) -> str:
        return "the keyring holds no key under {}".format(self._entry())

    def _entry(self) -> str:
        return "service {!r}, name {!r}".format(self.service_name, self.key_name)

    @tolerant
    def __repr__(self) -> str:
        return "KeyringEncryption(service_name={!r}, key_name={!r})".format(self.service_name, self.key_name)


_Signature = Optional[Tuple[int, int, int, int]]


def _signature(st: Optional[os.stat_result]) -> _Signature:
    """What identifies one version of the file: replaced files get a new inode and mtime."""
    if st is None:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class PersistedTokenCache(SerializableTokenCache):
    """A :class:`~msal.SerializableTokenCache` backed by a file, shared safely between processes.

    :param path: the cache file; its directory is created (mode 0700) when missing.
    :param encryption: a :class:`FernetEncryption` or :class:`KeyringEncryption` (or any object
        with ``encrypt``/``decrypt``). ``None`` writes plaintext and is refused unless
        ``allow_plaintext=True`` says so explicitly.
    :param allow_plaintext: accept ``encryption=None``.
    :param check_interval: seconds between checks for other processes' changes; 0 checks before
        every lookup (one ``stat``). Writes always merge with the latest file.
    :param lock_timeout: seconds to wait for another process's write before
        :class:`CacheLockTimeout`.
    """

    def __init__(
        self,
        path: "os.PathLike[str] | str",
        *,
        encryption: Optional[Encryption] = None,
        allow_plaintext: bool = False,
        check_interval: float = 0.0,
        lock_timeout: float = 60.0,
    ) -> None:
        if encryption is None and not allow_plaintext:
            raise ValueError(
                "PersistedTokenCache keeps tokens at rest: give encryption=FernetEncryption(key) "
                "or encryption=KeyringEncryption(), or pass encryption=None, "
                "allow_plaintext=True to store them unencrypted on purpose"
            )
        super().__init__()
        self.path = os.path.abspath(os.fspath(path))
        self.lock_path = self.path + ".lock"
        self._encryption = encryption
        self._check_interval = check_interval
        self._lock_timeout = lock_timeout
        self._loaded: _Signature = None
        self._next_check = 0.0
        self._writer: Optional[int] = None  # the thread inside _write, whose reads need no sync
        _make_private_dir(os.path.dirname(self.path))
        with self._lock:
            self._load()

    @tolerant
    def __repr__(self) -> str:
        return "PersistedTokenCache({!r}, encryption={!r})".format(self.path, self._encryption)

    # Reads: each of SerializableTokenCache._READ_METHODS first picks up other processes'
    # changes (see _sync and the loop after this class).

    # ---------------------------------------------------------------- writes

    def add(self, event: Dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        # The reference documents SerializableTokenCache.add(event, **kwargs).
        self._write(lambda: SerializableTokenCache.add(self, event, **kwargs))

    def modify(
        self,
        credential_type: str,
        old_entry: Dict[str, Any],
        new_key_value_pairs: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._write(
            lambda: SerializableTokenCache.modify(self, credential_type, old_entry, new_key_value_pairs)
        )

    def remove_account_data(self, **kwargs: Any) -> None:
        self._write(lambda: SerializableTokenCache.remove_account_data(self, **kwargs))

    def deserialize(self, state: Optional[str]) -> None:
        """Replace the cache's content, in memory and in the file."""
        self._write(lambda: SerializableTokenCache.deserialize(self, state))

    def _write(self, change: Callable[[], None]) -> None:
        """Under both locks: bring in the latest file, apply ``change`` on top, save atomically."""
        with self._lock, self._file_lock():
            self._load()
            self._writer = threading.get_ident()
            try:
                change()
            finally:
                self._writer = None
            self._save()

    # ---------------------------------------------------------------- file I/O

    def _sync(self) -> None:
        """Reload when another process replaced the file (at most one stat per call)."""
        if self._writer == threading.get_ident():
            return
        now = time.monotonic()
        if self._check_interval and now < self._next_check:
            return
        with self._lock:
            self._next_check = now + self._check_interval
            if _signature(_stat(self.path)) != self._loaded:
                self._load()

    def _load(self) -> None:
        """Read the file (caller holds ``self._lock``); a missing file is an empty cache."""
        fd = _open_own_file(self.path, os.O_RDONLY | _NONBLOCK)
        if fd is None:
            SerializableTokenCache.deserialize(self, None)
            self._loaded = None
            return
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
        if self._encryption is not None and data:
            try:
                data = self._encryption.decrypt(data)
            except ValueError as e:
                raise CacheFileError(self.path, str(e)) from None
        try:
            SerializableTokenCache.deserialize(self, data.decode("utf-8"))
        except UnicodeDecodeError:
            raise CacheFileError(self.path, "is not a token cache (not UTF-8 text)") from None
        except ValueError as e:
            raise CacheFileError(self.path, "is not a token cache ({})".format(e)) from None
        except RecursionError:
            raise CacheFileError(self.path, "is not a token cache (nested too deeply)") from None
        self._loaded = _signature(st)

    def _save(self) -> None:
        """Replace the file atomically with the current state (caller holds the file lock)."""
        data = SerializableTokenCache.serialize(self).encode("utf-8")
        if self._encryption is not None:  # A KeyringEncryption's first key is created here
            data = self._encryption.encrypt(data)
        directory, name = os.path.split(self.path)
        _remove_stale_temps(directory, name)
        fd, temp = tempfile.mkstemp(prefix="." + name + ".", suffix=_TEMP_SUFFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
                st = os.fstat(f.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _fsync_dir(directory)
        self._loaded = _signature(st)
        self.has_state_changed = False

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        fd = _open_own_file(self.lock_path, os.O_RDWR | os.O_CREAT | _NONBLOCK)
        assert fd is not None  # O_CREAT: never missing
        try:
            _acquire(fd, self._lock_timeout, self.lock_path)
            try:
                yield
            finally:
                _release(fd)
        finally:
            os.close(fd)


hooks.refresh_before(
    PersistedTokenCache, SerializableTokenCache, SerializableTokenCache._READ_METHODS, "_sync"
)


# -------------------------------------------------------------------- helpers


def _stat(path: str) -> Optional[os.stat_result]:
    """The path's own identity: a symbolic link swapped in is a change, then refused on load."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # A FIFO planted at the path must not block the open
_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_own_file(path: str, flags: int) -> Optional[int]:
    """Open ``path`` without following a symbolic link; refuse what this user does not own.

    The descriptor is then restricted to 0600 (``fchmod``: no path lookup an attacker could
    redirect). ``None`` when the file does not exist and ``flags`` do not create it.
    """
    try:
        fd = os.open(path, flags | _OPEN_FLAGS, FILE_MODE)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EMLINK):  # EMLINK: FreeBSD's answer to O_NOFOLLOW
            raise UntrustedCacheFileError(path, "is a symbolic link; refused") from None
        raise
    try:
        _check_own_file(path, fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_own_file(path: str, fd: int) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UntrustedCacheFileError(path, "is not a regular file; refused")
    if os.name != "posix":
        return
    if st.st_uid != os.geteuid():
        raise UntrustedCacheFileError(
            path, "is owned by uid {}, not by this user (uid {}); refused".format(st.st_uid, os.geteuid())
        )
    if stat.S_IMODE(st.st_mode) & 0o077:
        logger.warning("Token cache file %s was readable by others; restricting it to 0600", path)
        try:
            os.fchmod(fd, FILE_MODE)
        except OSError as e:
            logger.warning("Could not restrict %s: %s", path, e)


def _make_private_dir(directory: str) -> None:
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)


def _remove_stale_temps(directory: str, name: str) -> None:
    """Temporary files left by a writer that died mid-save (we hold the lock: none is live)."""
    prefix = "." + name + "."
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            if entry.startswith(prefix) and entry.endswith(_TEMP_SUFFIX):
                with contextlib.suppress(OSError):
                    _unlink_own(os.path.join(directory, entry))


def _unlink_own(path: str) -> None:
    """Remove a file of ours (in a shared directory, other users' files are not ours to clean)."""
    if os.name != "posix" or os.lstat(path).st_uid == os.geteuid():
        os.unlink(path)


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a directory)."""
    if os.name != "posix":
        return
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:  # Some file systems refuse fsync on directories
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _acquire(fd: int, timeout: float, lock_path: str) -> None:
    """Take the exclusive lock, polling with a short back-off up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            raise CacheLockTimeout("Timed out after {}s waiting for the lock {!r}".format(timeout, lock_path))
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
