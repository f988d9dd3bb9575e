"""Kafka topics as stream inputs, against librdkafka's built-in mock cluster (loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from pipeline_helpers import settings_at, streaming, wait_for

from cdp.config import KafkaSettings, Settings, SourceConfig
from storage import Lakehouse

confluent_kafka = pytest.importorskip("confluent_kafka")

pytestmark = pytest.mark.integration


@pytest.fixture
def broker() -> Iterator[Any]:
    """A mock Kafka cluster living as long as this producer."""
    producer = confluent_kafka.Producer({"test.mock.num.brokers": 1})
    metadata = producer.list_topics(timeout=10)
    assert metadata.brokers
    yield producer
    producer.flush(10)


def _bootstrap(producer: Any) -> str:
    broker = next(iter(producer.list_topics(timeout=10).brokers.values()))
    return f"{broker.host}:{broker.port}"


def _settings(sample: Settings, folder: Any, brokers: str) -> Settings:
    base = settings_at(sample, folder)
    crm = base.source("crm")
    contacts = crm.model_copy(
        update={
            "name": "contacts",
            "format": "kafka",
            "kafka": KafkaSettings(brokers=brokers, topic="contacts"),
        }
    )
    clicks = SourceConfig(
        name="clicks",
        kind="web",
        format="kafka",  # Segment messages on a topic: no record mapping needed
        kafka=KafkaSettings(brokers=brokers, topic="clicks", options={"fetch.wait.max.ms": "50"}),
    )
    return base.model_copy(
        update={"sources": {**base.sources, "contacts": contacts, "clicks": clicks}}
    )


def _contact(i: int) -> bytes:
    return orjson.dumps(
        {
            "Id": f"k{i}",
            "FirstName": "Kai",
            "LastName": f"Kafka{i}",
            "Email": f"kai{i}@example.ch",
            "LastModifiedDate": "2026-02-01T00:00:00.000+0000",
            "HasOptedOutOfEmail": "true" if i % 2 else "false",
        }
    )


def _click(i: int) -> bytes:
    return orjson.dumps(
        {"type": "track", "event": "Clicked", "messageId": f"c{i}", "anonymousId": f"a{i % 4}"}
    )


def test_kafka_topics_are_ingested_exactly_once(
    broker: Any, sample_settings: Settings, tmp_path: Any
) -> None:
    settings = _settings(sample_settings, tmp_path / "cdp", _bootstrap(broker))
    for i in range(20):
        broker.produce("contacts", value=_contact(i), key=f"k{i}".encode())
        broker.produce("clicks", value=_click(i), key=f"a{i % 4}".encode())
    broker.produce("contacts", value=b"{not json", key=b"bad")
    broker.produce("clicks", value=_click(3), key=b"a3")  # a re-sent message
    assert broker.flush(10) == 0
    lake = Lakehouse.from_settings(settings)
    with streaming(settings) as out:
        wait_for(lambda: lake.count("events") >= 40 and lake.count("quarantine") >= 1)
    report = out["report"]
    assert report.inputs == 42 and report.duplicates == 1 and report.reconciled
    assert lake.read("quarantine")["error_type"].to_list() == ["bad_json"]
    assert lake.read("consent_ledger").height == 10  # the opted-out half

    for i in range(20, 25):
        broker.produce("clicks", value=_click(i), key=b"x")
    assert broker.flush(10) == 0
    with streaming(settings) as out:
        wait_for(lambda: lake.count("events") >= 45)
    assert out["report"].inputs == 5  # offsets resumed from the recovery state
    events = lake.read("events")
    assert events.height == 45 and events["event_id"].n_unique() == 45
    assert set(events["source"]) == {"contacts", "clicks"}
