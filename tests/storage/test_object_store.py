"""The lakehouse on an object store (S3 protocol) goes through the same code as local paths.

S3 itself is outside the product, so it is emulated by moto's server, run as its own process on
loopback (in-process it would starve: delta-rs holds the GIL while it waits on the socket).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from storage import TABLES, Lakehouse

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="lake")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_lakehouse_on_s3(s3_endpoint: str) -> None:
    options = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",  # single writer here; production sets a lock
    }
    lh = Lakehouse("s3://lake/cdp", storage_options=options)
    assert set(lh.init().values()) == {"created"}
    assert all(lh.exists(name) for name in TABLES)
    now = datetime.now(UTC)
    rows = [
        {"event_id": f"e{i}", "source": "web", "event_type": "track", "occurred_at": now,
         "received_at": now}
        for i in range(3)
    ]  # fmt: skip
    assert lh.append("events", rows, app_id="a", txn_version=1).rows == 3
    assert lh.append("events", rows, app_id="a", txn_version=1).skipped
    assert lh.count("events") == 3
    assert lh.read("events", version=0).height == 0  # time travel
    assert lh.delete("events", "event_id = 'e1'").rows == 1
    assert lh.vacuum("events", retention_hours=0)
    assert sorted(lh.read("events")["event_id"].to_list()) == ["e0", "e2"]
    lh.upsert(
        "identity_records",
        [{"source": "crm", "source_record_id": "1", "deleted": False, "updated_at": now}],
        newer_by="updated_at",
    )
    assert lh.count("identity_records") == 1
