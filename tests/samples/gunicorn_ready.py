"""gunicorn settings for the fleet tests (``-c``): a worker that has loaded the app and is about
to accept connections leaves a file named after its pid in ``MSAL_TEST_GUNICORN_READY``. The
port answers as soon as the master listens, while the workers are still importing the app."""

import os


def post_worker_init(worker):
    directory = os.environ.get("MSAL_TEST_GUNICORN_READY")
    if directory:
        with open(os.path.join(directory, str(worker.pid)), "w"):
            pass
