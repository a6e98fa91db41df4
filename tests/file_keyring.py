"""A keyring backend kept in a JSON file, so that real processes share one keyring here (no OS
keyring runs in the test environment), and the worker program of the keyring race test.

Processes select it with ``PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring`` (this directory on
``PYTHONPATH``) and ``MSAL_TEST_KEYRING_FILE``. Like a real keyring, it has no transactions: the
last ``set_password`` wins. With ``MSAL_TEST_KEYRING_BARRIER`` (a directory) and
``MSAL_TEST_KEYRING_PARTIES``, a lookup that finds no password waits, for a couple of seconds at
most, until that many processes have found none: it makes processes that start together look
for the key at the same moment, as they would on a busy machine.

    python tests/file_keyring.py add <cache path> <token number>
"""

import json
import os
import sys
import time

from keyring.backend import KeyringBackend

BARRIER_WAIT = 2.0


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def path(self):
        return os.environ["MSAL_TEST_KEYRING_FILE"]

    def _items(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        password = self._items().get(service + "/" + username)
        if password is None:
            _barrier()
        return password

    def set_password(self, service, username, password):
        items = self._items()
        items[service + "/" + username] = password
        temp = "{}.{}.tmp".format(self.path, os.getpid())
        with open(temp, "w") as f:
            json.dump(items, f)
        os.replace(temp, self.path)

    def delete_password(self, service, username):
        items = self._items()
        items.pop(service + "/" + username, None)
        with open(self.path, "w") as f:
            json.dump(items, f)


def _barrier():
    directory = os.environ.get("MSAL_TEST_KEYRING_BARRIER")
    if not directory:
        return
    open(os.path.join(directory, str(os.getpid())), "w").close()
    parties = int(os.environ["MSAL_TEST_KEYRING_PARTIES"])
    deadline = time.monotonic() + BARRIER_WAIT
    while len(os.listdir(directory)) < parties and time.monotonic() < deadline:
        time.sleep(0.01)


def _worker_add(path, n):
    from msal.persistence import KeyringEncryption, PersistedTokenCache

    cache = PersistedTokenCache(path, encryption=KeyringEncryption("msal-race-test"))
    cache.add(
        {
            "client_id": "client",
            "scope": ["s%d" % n],
            "response": {"access_token": "at-%d" % n, "expires_in": 3600},
            "token_endpoint": "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
        }
    )


if __name__ == "__main__":
    command, cache_path, number = sys.argv[1:4]
    assert command == "add"
    _worker_add(cache_path, int(number))
