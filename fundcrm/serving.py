"""Who is using the instance: every app process holds a shared lock on `<instance>/serving.lock`
for its lifetime, and a restore takes it exclusively, so it runs only when nothing else does.

The operating system drops a process's locks when it ends, so a crash leaves no stale lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import portalocker
from flask import Flask

LOCK_FILE = "serving.lock"
EXTENSION = "fundcrm.serving_lock"


class InUse(Exception):
    """Another process holds the instance (a server, or another `fundcrm` command)."""


def _open(instance: Path):
    path = instance / LOCK_FILE
    try:
        instance.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        pass  # an operator without write access: an existing lock file is enough to lock
    return open(path, "rb")  # noqa: SIM115 - held for the process's lifetime


def hold(app: Flask) -> None:
    """Hold the shared lock while this app lives; waits while a restore is running."""
    handle = _open(Path(app.instance_path))
    portalocker.lock(handle, portalocker.LockFlags.SHARED)
    app.extensions[EXTENSION] = handle


def release(app: Flask) -> None:
    """Let go of this app's shared lock (a restore does, before asking for the exclusive one)."""
    handle = app.extensions.pop(EXTENSION, None)
    if handle is not None:
        portalocker.unlock(handle)
        handle.close()


@contextmanager
def exclusive(instance: Path) -> Iterator[None]:
    """The instance to ourselves, or InUse at once: never waits for servers to stop."""
    handle = _open(instance)
    try:
        portalocker.lock(
            handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
        )
    except portalocker.exceptions.LockException:
        handle.close()
        raise InUse from None
    try:
        yield
    finally:
        portalocker.unlock(handle)
        handle.close()
