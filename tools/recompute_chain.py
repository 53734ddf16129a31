#!/usr/bin/env python3
"""Recomputes ftl's hash chain from `ftl --format jsonl log` output, using only
ledger/FORMAT.md: no ftl code. Exits 0 if every hash matches, 4 naming the first that does not.

    ftl --format jsonl log | tools/recompute_chain.py
"""
import datetime
import hashlib
import json
import sys


def micros(iso):
    d = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1_000_000 + d.microsecond


def string(text):
    b = text.encode("utf-8")
    return len(b).to_bytes(2, "big") + b


def canonical(e):
    return (b"\x01"
            + e["sequence"].to_bytes(8, "big")
            + string(e["stream"])
            + e["version"].to_bytes(8, "big")
            + string(e["event_id"])
            + string(e["type"])
            + e["schema_version"].to_bytes(4, "big")
            + micros(e["recorded_at"]).to_bytes(8, "big", signed=True)
            + micros(e["effective_date"]).to_bytes(8, "big", signed=True)
            + string(e["actor"])
            + bytes.fromhex(e["payload_sha256"])
            + e["payload_size"].to_bytes(4, "big"))


def main():
    prev = None
    n = 0
    for line in sys.stdin:
        e = json.loads(line)
        if prev is None:
            prev = bytes.fromhex(e["prev_hash"])
        if e["prev_hash"] != prev.hex():
            print(f"event {e['sequence']}: previous hash does not match the event before it")
            return 4
        h = hashlib.sha256(prev + canonical(e)).digest()
        if h.hex() != e["hash"]:
            print(f"event {e['sequence']}: hash {e['hash']} is not the recomputed {h.hex()}")
            return 4
        prev = h
        n += 1
    print(f"ok: {n} events recomputed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
