#!/usr/bin/python3
"""Reads Spine's Kafka topics from the beginning and prints one JSON object
per event (NDJSON), then exits when every partition has been read to its end.

Needs only a Kafka client: Debian's python3-confluent-kafka.

    python3 docs/examples/consume.py --bootstrap 127.0.0.1:9092 [--prefix spine.] [--topic orders]
"""
import argparse
import json
import sys

from confluent_kafka import Consumer, TopicPartition

FAMILIES = ["catalog", "inventory", "orders", "returns", "suppliers", "finance", "other"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", default="spine.")
    parser.add_argument("--topic", action="append", help="family (orders, ...); default: all")
    args = parser.parse_args()
    topics = [args.prefix + family for family in (args.topic or FAMILIES)]

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "spine-example",          # required by the client; nothing is committed
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    metadata = consumer.list_topics(timeout=10)
    assignment = []
    for topic in topics:
        if topic not in metadata.topics:
            continue
        for partition in metadata.topics[topic].partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > low:
                assignment.append(TopicPartition(topic, partition, low))
    consumer.assign(assignment)
    remaining = {(tp.topic, tp.partition) for tp in assignment}

    while remaining:
        message = consumer.poll(10.0)
        if message is None:
            print("timed out waiting for messages", file=sys.stderr)
            return 1
        if message.error():
            if message.error().code() == message.error()._PARTITION_EOF:
                remaining.discard((message.topic(), message.partition()))
                continue
            print(message.error(), file=sys.stderr)
            return 1
        headers = {name: value.decode() for name, value in (message.headers() or [])}
        print(json.dumps({
            "topic": message.topic(),
            "partition": message.partition(),
            "offset": message.offset(),
            "stream": message.key().decode(),
            "type": headers["spine.type"],
            "position": int(headers["spine.position"]),
            "stream_version": int(headers["spine.stream_version"]),
            "event_id": headers["spine.event_id"],
            "schema_version": int(headers["spine.schema_version"]),
            "envelope_bytes": len(message.value()),
        }))
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
