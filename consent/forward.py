"""Streaming forwarding of web events to a destination, gated per person (DESIGN §8).

:class:`StreamForwarder` takes a batch of ``events`` rows, asks the gate (through a
:class:`~consent.store.ConsentStore`) whether the destination's purpose is allowed for the person
of each event (subject ``user_id:<userId>``, else ``anonymous_id:<anonymousId>``), logs every
decision to ``activation_log`` (``activation_type: stream_forward``) and hands only the allowed
events to ``send``. Nothing is forwarded by default: without a grant in force the gate denies
and the event stays here.

Logging is exactly-once per batch: the run id is ``forward:<destination>:<batch key>:<round>``
(a person with several events in a batch has one decision per event, in successive rounds), so a
batch replayed after a crash logs nothing twice (and :class:`~consent.activation.ActivationLog`
derives the same activation ids). Sending is at-least-once; every forwarded event carries its
``event_id`` for the receiver to deduplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consent.activation import ActivationLog
from consent.store import ConsentStore

__all__ = ["ForwardResult", "StreamForwarder", "subject_of_event"]

logger = logging.getLogger(__name__)

#: ``send(destination, events)``: deliver the allowed events (raise to retry the batch).
Send = Callable[[str, list[dict[str, Any]]], None]


def subject_of_event(event: Mapping[str, Any]) -> str | None:
    """The identifier the gate is asked about for an event (None: no identifier)."""
    if event.get("user_id"):
        return f"user_id:{event['user_id']}"
    if event.get("anonymous_id"):
        return f"anonymous_id:{event['anonymous_id']}"
    return None


@dataclass(frozen=True)
class ForwardResult:
    """What one batch gave: events forwarded and held back, and the activation ids logged."""

    forwarded: int
    held: int
    activation_ids: list[str]


class StreamForwarder:
    """Gate, log and send the events of one destination (see the module documentation)."""

    def __init__(
        self,
        store: ConsentStore,
        log: ActivationLog,
        *,
        destination: str,
        purpose: str,
        send: Send,
        sources: frozenset[str] | None = None,
    ) -> None:
        self._store = store
        self._log = log
        self.destination = destination
        self.purpose = purpose
        self._send = send
        self._sources = sources

    def forward(self, events: Sequence[Mapping[str, Any]], *, batch_key: str) -> ForwardResult:
        """Decide, log and send one batch; ``batch_key`` identifies it across replays."""
        decisions = []
        allowed: list[dict[str, Any]] = []
        for event in events:
            if self._sources is not None and event.get("source") not in self._sources:
                continue
            subject = subject_of_event(event)
            if subject is None:
                continue
            decision = self._store.decide(subject, self.purpose, destination=self.destination)
            decisions.append(decision)
            if decision.allowed:
                allowed.append(dict(event))
        # one activation id per (run, person): a person's second event of the batch goes to
        # the next round, so every event's decision is its own row
        rounds: list[list[Any]] = []
        seen: dict[str, int] = {}
        for decision in decisions:
            who = decision.customer_id or decision.subject
            n = seen[who] = seen.get(who, -1) + 1
            if n == len(rounds):
                rounds.append([])
            rounds[n].append(decision)
        ids: list[str] = []
        for n, round_ in enumerate(rounds):
            ids += self._log.record(
                round_,
                activation_type="stream_forward",
                destination=self.destination,
                run_id=f"forward:{self.destination}:{batch_key}:{n}",
            )
        if allowed:
            self._send(self.destination, allowed)
        held = len(decisions) - len(allowed)
        if decisions:
            logger.info(
                "forward %s: %d sent, %d held back by the gate",
                self.destination,
                len(allowed),
                held,
            )
        return ForwardResult(len(allowed), held, ids)
