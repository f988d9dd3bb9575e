"""Commits of a sink partition run in the background, in order, each after the one before it.

A sink partition hands its commits to a :class:`CommitQueue` and goes on with the flow; the
epoch's end (``snapshot``) :meth:`waits <CommitQueue.wait>` for them. A commit runs only once
the one before it succeeded: after a failed commit, a later one of the same stream would record
a Delta application transaction past rows never written, and a replay would skip them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["CommitQueue", "close_partition"]

logger = logging.getLogger(__name__)


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


def close_partition(flush: Callable[[], None], commits: CommitQueue, name: str) -> None:
    """Close a sink partition: ``flush()`` what it holds, then its queue; never raises.

    Bytewax closes a partition when it drops it: after the last epoch's snapshot, which left
    nothing to commit, or while the flow unwinds from an error elsewhere (a source, a step, a
    commit of another partition). An exception from ``close`` there is a panic during a panic,
    and Bytewax aborts the whole process: no error raised, no report, no message. A commit that
    fails here is logged instead; nothing is lost by it, since the flow's own error stops the
    run and its rerun writes what is not committed (the Delta transactions tell what is).
    """
    try:
        flush()
    except Exception as e:  # (the type only: a message could quote a value)
        logger.error(
            "%s: what it held could not be committed at close (%s); a rerun writes it",
            name,
            type(e).__name__,
        )
    finally:
        commits.close()
