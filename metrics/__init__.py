"""Prometheus metrics of one blindcopy process: counters, the latency histogram, the text format.

A leaf package (imports nothing from this repository) so the SMTP gateway, the workers and
the API can all count into the same `Metrics` object, which the composition root builds once
per process and passes down explicitly. Each `Metrics` owns its own registry, so several
services in one process (tests) never share counts. Counters are per process; the queue
depth is read from the store at scrape time by the caller of `render`, so it is global.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from importlib import metadata
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Received → processed, in seconds: from a busy spool's milliseconds to retries' minutes.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                   60.0, 300.0, 1800.0)
# One processing step, in seconds: from a sub-millisecond claim to a slow DNS verification.
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
# The steps of processing one message, in order (SPEC vocabulary; see docs/architecture.md).
STAGES = ("claim", "parse", "snapshot", "verify", "decide", "record")
QUEUE_STATUSES = ("queued", "processing")
# One API request, in seconds: from a sub-millisecond /healthz to a Log click waiting for room.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0)
DISTRIBUTION = "blindcopy"


def build_version() -> str:
    """Return the installed blindcopy's version ("unknown" when run from a bare checkout)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def build_info() -> dict[str, str]:
    """Return what this process runs: blindcopy's version and Python's."""
    return {"version": build_version(), "python": platform.python_version()}


class Metrics:
    """The metrics of one process; every method is cheap and never raises."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._children: dict[tuple[int, str], Any] = {}
        self.received = Counter(
            "blindcopy_messages_received", "Messages received (spooled), by channel.",
            ["channel"], registry=self.registry)
        self.processed = Counter(
            "blindcopy_messages_processed",
            "Messages that reached a final status (done, quarantined, failed).",
            ["status"], registry=self.registry)
        self.retried = Counter(
            "blindcopy_messages_retried", "Processing attempts that failed and were rescheduled.",
            registry=self.registry)
        self.latency = Histogram(
            "blindcopy_processing_latency_seconds",
            "Seconds from a message's receipt to the end of its processing.",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.stage_seconds = Histogram(
            "blindcopy_stage_seconds",
            "Seconds one step of processing took: claim, parse, snapshot (the directory "
            "look-ups), verify (sender authentication, DNS included), decide (the rules), "
            "record.",
            ["stage"], buckets=STAGE_BUCKETS, registry=self.registry)
        self.smtp_replies = Counter(
            "blindcopy_smtp_replies", "SMTP replies sent, by reply code.", ["code"],
            registry=self.registry)
        self.queue_depth = Gauge(
            "blindcopy_queue_depth",
            "Messages waiting for or in processing, read from the store at scrape time.",
            ["status"], registry=self.registry)
        self.request_seconds = Histogram(
            "blindcopy_http_request_duration_seconds",
            "Seconds the API took to answer a request, by method and route (the path "
            "template, e.g. /v1/projects/{pid}; `unmatched` for paths of no route).",
            ["method", "route"], buckets=REQUEST_BUCKETS, registry=self.registry)
        self.erased = Counter(
            "blindcopy_erased",
            "What erasures on request removed (SPEC §13): interactions, messages, raws, "
            "attachments.", ["kind"], registry=self.registry)
        self.retention_removed = Counter(
            "blindcopy_retention_removed",
            "What the retention windows removed (SPEC §13): raws (raw bytes of processed "
            "messages), unlogged (received messages that logged nothing, with their "
            "decisions), events.", ["kind"], registry=self.registry)
        Info("blindcopy_build", "The blindcopy and Python versions this process runs.",
             registry=self.registry).info(build_info())

    def _child(self, metric: Any, value: str) -> Any:
        """Return the metric's child for its one label's `value`, made once.

        `labels()` checks and locks at every call: ≈ 1.5 % of the gateway's CPU when every
        SMTP reply called it.
        """
        key = (id(metric), value)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(value)
        return child

    def count_received(self, channel: str, count: int = 1) -> None:
        """Count messages spooled on `channel`."""
        self._child(self.received, channel).inc(count)

    def count_processed(self, status: str, received_at: datetime | None = None,
                        processed_at: datetime | None = None) -> None:
        """Count a message reaching `status`; observe its latency when both times are known."""
        self._child(self.processed, status).inc()
        if received_at is not None and processed_at is not None:
            self.latency.observe(max((processed_at - received_at).total_seconds(), 0.0))

    def count_retried(self) -> None:
        """Count a failed attempt that will be retried."""
        self.retried.inc()

    @contextmanager
    def time_stage(self, stage: str) -> Iterator[None]:
        """Observe how long the block (one processing step) took, even when it raises."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe_stage(stage, time.perf_counter() - started)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Observe that one processing step took `seconds`."""
        self._child(self.stage_seconds, stage).observe(seconds)

    def stage_means(self) -> dict[str, tuple[int, float]]:
        """Return, per stage observed so far, (count, mean seconds)."""
        means = {}
        for stage in STAGES:
            count = self.registry.get_sample_value("blindcopy_stage_seconds_count",
                                                   {"stage": stage}) or 0.0
            total = self.registry.get_sample_value("blindcopy_stage_seconds_sum",
                                                   {"stage": stage}) or 0.0
            if count:
                means[stage] = (int(count), total / count)
        return means

    def observe_request(self, method: str, route: str, seconds: float) -> None:
        """Observe that the API answered a `method` request on `route` in `seconds`."""
        key = (id(self.request_seconds), f"{method} {route}")
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.request_seconds.labels(method, route)
        child.observe(seconds)

    def count_erased(self, counts: Mapping[str, int]) -> None:
        """Count what an erasure removed, by kind."""
        for kind, count in counts.items():
            self._child(self.erased, kind).inc(count)

    def count_retention(self, kind: str, count: int) -> None:
        """Count what a retention window removed."""
        self._child(self.retention_removed, kind).inc(count)

    def count_smtp_reply(self, reply: str) -> None:
        """Count an SMTP reply by its three-digit code."""
        code = reply[:3]
        self._child(self.smtp_replies, code if code.isdigit() else "other").inc()

    def render(self, queue_depth: Mapping[str, int]) -> bytes:
        """Return every metric in the Prometheus text format, with the given queue depth."""
        for status in QUEUE_STATUSES:
            self.queue_depth.labels(status=status).set(queue_depth.get(status, 0))
        return generate_latest(self.registry)
