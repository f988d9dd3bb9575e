"""The collector's in-process metrics and the middleware that counts requests.

Dependency-free: counters and one histogram, rendered in the Prometheus text format (version
0.0.4) by ``GET /metrics`` (:mod:`api.metrics`). With several server workers each process
reports its own numbers (the ``lane`` label tells them apart for the landing series).
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api._segment import BEACON_PATH, ROUTE_OF_PATH, is_collector_path
from cdp.landing import LandingLog

__all__ = ["CONTENT_TYPE", "Metrics", "MetricsMiddleware"]

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
#: upper bounds (seconds) of the append latency histogram
_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _route_label(path: str) -> str:
    if path == BEACON_PATH:
        return "batch"
    name = path.removeprefix("/v1/")
    return ROUTE_OF_PATH.get(name, "settings")


class Metrics:
    """In-process counters of the collector (mutated on the event loop only)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.events: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.landed_bytes = 0
        self._append_counts = [0] * (len(_BUCKETS) + 1)
        self._append_sum = 0.0
        self._append_total = 0

    def count_request(self, route: str, method: str, status: int) -> None:
        self.requests[(route, method, status)] += 1

    def count_landed(self, route: str, *, events: int, size: int) -> None:
        self.events[route] += events
        self.landed_bytes += size

    def count_rejected(self, error_type: str) -> None:
        self.rejected[error_type] += 1

    def observe_append(self, seconds: float) -> None:
        self._append_counts[bisect.bisect_left(_BUCKETS, seconds)] += 1
        self._append_sum += seconds
        self._append_total += 1

    def render(self, landing: LandingLog | None) -> str:
        """The Prometheus text exposition of every series."""
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        family("cdp_collector_requests_total", "counter", "Collector requests by route and status.")
        for (route, method, status), n in sorted(self.requests.items()):
            labels = f'route="{route}",method="{method}",status="{status}"'
            out.append(f"cdp_collector_requests_total{{{labels}}} {n}")
        family("cdp_collector_events_total", "counter", "Messages accepted (landed), by route.")
        for route, n in sorted(self.events.items()):
            out.append(f'cdp_collector_events_total{{route="{route}"}} {n}')
        family("cdp_collector_rejected_total", "counter", "Requests rejected and landed as such.")
        for error_type, n in sorted(self.rejected.items()):
            out.append(f'cdp_collector_rejected_total{{error_type="{error_type}"}} {n}')
        family("cdp_collector_landed_bytes_total", "counter", "Request body bytes landed.")
        out.append(f"cdp_collector_landed_bytes_total {self.landed_bytes}")
        family(
            "cdp_collector_append_seconds",
            "histogram",
            "Time from landing a request to its fsync.",
        )
        cumulative = 0
        for bound, n in zip(_BUCKETS, self._append_counts, strict=False):
            cumulative += n
            out.append(f'cdp_collector_append_seconds_bucket{{le="{bound}"}} {cumulative}')
        out.append(f'cdp_collector_append_seconds_bucket{{le="+Inf"}} {self._append_total}')
        out.append(f"cdp_collector_append_seconds_sum {self._append_sum:.6f}")
        out.append(f"cdp_collector_append_seconds_count {self._append_total}")
        family("cdp_process_start_time_seconds", "gauge", "Start time of the process.")
        out.append(f"cdp_process_start_time_seconds {self.started:.3f}")
        if landing is not None:
            stats = landing.stats()
            lane = f'lane="{stats.lane}"'
            for name, kind, help_text, value in (
                ("cdp_landing_entries_total", "counter", "Entries made durable.", stats.entries),
                ("cdp_landing_bytes_total", "counter", "Bytes written.", stats.bytes),
                ("cdp_landing_fsyncs_total", "counter", "fsync calls of commits.", stats.fsyncs),
                (
                    "cdp_landing_pending_bytes",
                    "gauge",
                    "Bytes not durable yet.",
                    stats.pending_bytes,
                ),
                ("cdp_landing_segment", "gauge", "Segment being written.", stats.position.segment),
            ):
                family(name, kind, help_text)
                out.append(f"{name}{{{lane}}} {value}")
        out.append("")
        return "\n".join(out)


class MetricsMiddleware:
    """Counts collector requests by route, method and status (whatever answered them)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_collector_path(scope["path"]):
            await self._app(scope, receive, send)
            return
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, observe)
        finally:
            self._metrics.count_request(_route_label(scope["path"]), scope["method"], status)
