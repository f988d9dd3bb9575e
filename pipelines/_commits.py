"""Commits of a sink partition run in the background, in order, each after the one before it.

A sink partition hands its commits to a :class:`CommitQueue` and goes on with the flow; the
epoch's end (``snapshot``) :meth:`waits <CommitQueue.wait>` for them. A commit runs only once
the one before it succeeded: after a failed commit, a later one of the same stream would record
a Delta application transaction past rows never written, and a replay would skip them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["CommitQueue"]


class CommitQueue:
    """One thread (started with the first commit) running a partition's commits in order."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def idle(self) -> bool:
        """Whether every commit submitted has ended."""
        return all(future.done() for future in self._pending)

    def submit(self, commit: Callable[..., None], *args: Any) -> None:
        """Run ``commit(*args)`` after the commits submitted before it, if they succeeded."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        before = self._pending[-1] if self._pending else None
        self._pending.append(self._pool.submit(_after, before, commit, *args))

    def wait(self) -> None:
        """Wait for the commits submitted; re-raises the first that failed."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Stop the thread once whatever was submitted has run."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _after(before: Future[None] | None, commit: Callable[..., None], *args: Any) -> None:
    if before is not None:
        before.result()  # (already done: the same thread ran it) a failure stops this one
    commit(*args)
