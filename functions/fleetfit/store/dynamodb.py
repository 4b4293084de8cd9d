"""The AWS store: one DynamoDB table (single-table design), reached with the low-level client.

Items (every access pattern below is a GetItem, a BatchGetItem or a Query, never a Scan):

- latest report: ``PK=NODE#<node_id>``, ``SK=LATEST``; also ``GSI1PK=CLASS#<hw_class>``,
  ``GSI1SK=NODE#<node_id>`` (index ``by_class``), ``GSI2PK=FLEET``, ``GSI2SK=NODE#<node_id>`` (``by_fleet``),
  ``GSI3PK=SEEN``, ``GSI3SK=<collected_at>#<node_id>`` (``by_seen``)
- history entry: ``PK=NODE#<node_id>``, ``SK=REPORT#<collected_at>#<report_id>``; TTL ``expires_at``
- report-id guard: ``PK=NODE#<node_id>``, ``SK=RID#<report_id>``; TTL ``expires_at``
- hardware class: ``PK=CLASSES``, ``SK=<hw_class>``: the class's representative System, ``nodes`` (how many
  latest items hold this class), and the class's digest of the current catalog (``digest_version``, ``digest``)

- latest report of a node: GetItem ``NODE#id``/``LATEST``; of several nodes: BatchGetItem
- history, newest first: Query ``PK = NODE#id AND begins_with(SK, "REPORT#")``, backwards
- all nodes, by id: Query GSI2 ``by_fleet`` ``GSI2PK = FLEET`` (only latest items carry GSI2 keys: sparse)
- nodes of hardware class K: Query GSI1 ``by_class`` ``GSI1PK = CLASS#K`` (a node that changes class moves
  with its latest item)
- every class with its node count: Query ``PK = CLASSES`` (a few dozen items)
- stale nodes per class: Query GSI3 ``by_seen`` ``GSI3PK = SEEN AND GSI3SK < <cutoff>`` (reads the stale
  nodes only)
- ingest: one TransactWriteItems (guard if absent + history + latest if newer and still of the class the
  writer expects, + the class counts when the node enters or leaves a class); on cancellation the reasons
  say whether the report was a duplicate, older than the stored latest, or of another class than expected
  (then the class the item really holds comes back with the reasons, and a second transaction moves it).

``by_class`` and ``by_fleet`` project the node summary (``SUMMARY_ATTRS``), not the report body, so listings
stay small; ``by_seen`` projects the class only.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from fleetfit.contract import STORED, Report, System
from fleetfit.store.base import (
    BadPageToken,
    ClassRecord,
    IngestResult,
    NodeRecord,
    Page,
    ReportConflict,
    ReportRefused,
    Store,
    StoredReport,
    StoreError,
    body_digest,
    decode_token,
    encode_token,
    iso,
    parse_iso,
)

BY_CLASS = "by_class"
BY_FLEET = "by_fleet"
BY_SEEN = "by_seen"
FLEET_PK = "FLEET"
SEEN_PK = "SEEN"
CLASSES_PK = "CLASSES"
SUMMARY_ATTRS = [
    "node_id",
    "report_id",
    "collected_at",
    "received_at",
    "hw_class",
    "backend",
    "gpu_name",
    "gpu_count",
    "gpu_vram_gb",
    "hostname",
    "os",
    "probe_version",
]

# The table as template.yaml declares it (tests create it in moto from this, and check the template agrees).
TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")
    ],
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": index,
            "KeySchema": [
                {"AttributeName": f"{prefix}PK", "KeyType": "HASH"},
                {"AttributeName": f"{prefix}SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": SUMMARY_ATTRS},
        }
        for index, prefix in ((BY_CLASS, "GSI1"), (BY_FLEET, "GSI2"))
    ]
    + [
        {
            "IndexName": BY_SEEN,
            "KeySchema": [
                {"AttributeName": "GSI3PK", "KeyType": "HASH"},
                {"AttributeName": "GSI3SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["hw_class"]},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

# The latest item is replaced only by a newer report, and only while it holds the class the writer expects
# (so that the class counts written in the same transaction are the right ones).
_NEWER_IN_CLASS = "hw_class = :k AND (collected_at < :c OR (collected_at = :c AND report_id < :r))"
_ATTEMPTS = 5
# Cancellation reasons worth another try of the same transaction (DynamoDB API reference, TransactWriteItems:
# "CancellationReasons"): a concurrent write to one of its items, or throttling of the table or an index.
_RETRIED_REASONS = ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded")


class _Duplicate(Exception):
    """This report_id was already stored for the node."""


def _node_pk(node_id: str) -> str:
    return f"NODE#{node_id}"


class DynamoStore(Store):
    """``Store`` on DynamoDB. History and report-id guards expire after ``history_days`` (table TTL)."""

    def __init__(self, table_name: str, *, client: Any = None, history_days: int = 90) -> None:
        if client is None:
            from fleetfit.store.boto import client as aws_client

            client = aws_client("dynamodb")
        self.client = client
        self.table = table_name
        self.history_days = history_days

    # -- writes -----------------------------------------------------------------------------------------
    def _put(self, report: Report, *, received_at: datetime, hw_class: str, class_json: str) -> IngestResult:
        stored = StoredReport(report=report, received_at=received_at, hw_class=hw_class)
        collected = iso(report.collected_at)
        expires = str(int((received_at + timedelta(days=self.history_days)).timestamp()))
        pk = _node_pk(report.node_id)
        body = report.model_dump_json()
        digest = body_digest(body)
        guard = {
            "PK": {"S": pk},
            "SK": {"S": f"RID#{report.report_id}"},
            "collected_at": {"S": collected},
            "digest": {"S": digest},
            "expires_at": {"N": expires},
        }
        history = {
            "PK": {"S": pk},
            "SK": {"S": f"REPORT#{collected}#{report.report_id}"},
            "report_id": {"S": report.report_id},
            "collected_at": {"S": collected},
            "received_at": {"S": iso(received_at)},
            "hw_class": {"S": hw_class},
            "report": {"S": body},
            "expires_at": {"N": expires},
        }
        guard_put = {"Put": {"TableName": self.table, "Item": guard, "ConditionExpression": "attribute_not_exists(PK)"}}
        history_put = {"Put": {"TableName": self.table, "Item": history}}
        try:
            outcome = self._move_latest(stored, body, class_json, extra=[guard_put, history_put])
        except _Duplicate:
            # Seen before: the same body is a retry; another body under that id is a conflict (nothing written).
            self._same_body(report, digest)
            # An earlier attempt may have stored it without the latest: repair (newer-wins).
            self._move_latest(stored, body, class_json, extra=[])
            return IngestResult(outcome="duplicate", latest=self._latest_or(stored))
        if outcome == "latest":
            return IngestResult(outcome="latest", latest=stored)
        for attempt in range(_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=[guard_put, history_put])
                break
            except ClientError as exc:
                again = _cancellation(exc)
                if again is not None and again[0][0] == "ConditionalCheckFailed":
                    self._same_body(report, digest)
                    return IngestResult(outcome="duplicate", latest=self._latest_or(stored))
                if again is None or not any(c in _RETRIED_REASONS for c, _ in again) or attempt + 1 == _ATTEMPTS:
                    raise _ingest_error(exc, again) from exc
                time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
            except BotoCoreError as exc:
                raise StoreError(f"DynamoDB ingest failed: {type(exc).__name__}") from exc
        return IngestResult(outcome="older", latest=self._latest_or(stored))

    def _same_body(self, report: Report, digest: str) -> None:
        """Raise ReportConflict unless the stored report under this id has this body digest. A guard written
        before guards carried a digest is compared through its history entry (gone: taken as the same)."""
        pk = _node_pk(report.node_id)
        guard = self._call(
            "get_item",
            TableName=self.table,
            Key={"PK": {"S": pk}, "SK": {"S": f"RID#{report.report_id}"}},
            ConsistentRead=True,
        ).get("Item")
        if guard is None:
            return
        stored = _s(guard, "digest")
        if stored is None:
            entry = self._call(
                "get_item",
                TableName=self.table,
                Key={"PK": {"S": pk}, "SK": {"S": f"REPORT#{guard['collected_at']['S']}#{report.report_id}"}},
                ProjectionExpression="#r",
                ExpressionAttributeNames={"#r": "report"},
                ConsistentRead=True,
            ).get("Item")
            stored = None if entry is None else body_digest(entry["report"]["S"])
        if stored is not None and stored != digest:
            raise ReportConflict(report.node_id, report.report_id)

    def _move_latest(
        self, stored: StoredReport, body: str, class_json: str, *, extra: list[dict[str, Any]]
    ) -> Literal["latest", "older"]:
        """Write the latest item if `stored` is newer, in one transaction with `extra` (guard and history) and
        with the class counts: the node leaves its old class and enters the new one in the same write.

        The condition names the class the latest item is expected to hold, so the counts can never drift: the
        first try expects the node's class unchanged (the common case: one request); when it was not, the
        cancellation returns the item as stored (ALL_OLD) and the second try names what it really holds."""
        expected: str | None = stored.hw_class
        for attempt in range(_ATTEMPTS):
            latest_put = {**self._latest_put(stored, body, expected), "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
            items = [*extra, {"Put": latest_put}]
            if expected != stored.hw_class:
                items.append(self._count(stored.hw_class, +1, class_json, iso(stored.received_at)))
                if expected is not None:
                    items.append(self._count(expected, -1))
            try:
                self.client.transact_write_items(TransactItems=items)
                return "latest"
            except ClientError as exc:
                reasons = _cancellation(exc)
                if reasons is None:
                    raise _ingest_error(exc, None) from exc
                error = _ingest_error(exc, reasons)
            except BotoCoreError as exc:
                raise StoreError(f"DynamoDB ingest failed: {type(exc).__name__}") from exc
            codes = [code for code, _ in reasons]
            if extra and codes[0] == "ConditionalCheckFailed":
                raise _Duplicate
            if any(c in _RETRIED_REASONS for c in codes):  # a concurrent write, or throttling: try again shortly
                if attempt + 1 == _ATTEMPTS:
                    raise error
                time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
                continue
            at = len(extra)
            others = [c for i, c in enumerate(codes) if i != at]
            if codes[at] != "ConditionalCheckFailed" or any(c not in (None, "None") for c in others):
                raise error
            old = reasons[at][1]
            if old is None and expected is None:  # a client that did not return the item: read it
                old = self._raw_latest(stored.report.node_id)
            if old is None:
                expected = None
            elif (old["collected_at"]["S"], old["report_id"]["S"]) >= (
                iso(stored.report.collected_at),
                stored.report.report_id,
            ):
                return "older"
            else:
                expected = old["hw_class"]["S"]
        raise StoreError("DynamoDB ingest: the node's latest report kept changing; retry")

    def _count(
        self, hw_class: str, delta: int, class_json: str | None = None, seen: str | None = None
    ) -> dict[str, Any]:
        """Move the class's node count by `delta`; entering a class registers it (its System, first seen)."""
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"PK": {"S": CLASSES_PK}, "SK": {"S": hw_class}},
            "UpdateExpression": "ADD nodes :d",
            "ExpressionAttributeValues": {":d": {"N": str(delta)}},
        }
        if class_json is not None and seen is not None:
            update["UpdateExpression"] += (
                " SET #sys = if_not_exists(#sys, :sys), first_seen = if_not_exists(first_seen, :seen), hw_class = :k"
            )
            update["ExpressionAttributeNames"] = {"#sys": "system"}
            update["ExpressionAttributeValues"].update(
                {":sys": {"S": class_json}, ":seen": {"S": seen}, ":k": {"S": hw_class}}
            )
        return {"Update": update}

    def _latest_put(self, stored: StoredReport, body: str, expected_class: str | None) -> dict[str, Any]:
        r, s = stored.report, stored.report.system
        pk = _node_pk(r.node_id)
        collected = iso(r.collected_at)
        item: dict[str, Any] = {
            "PK": {"S": pk},
            "SK": {"S": "LATEST"},
            "GSI1PK": {"S": f"CLASS#{stored.hw_class}"},
            "GSI1SK": {"S": pk},
            "GSI2PK": {"S": FLEET_PK},
            "GSI2SK": {"S": pk},
            "GSI3PK": {"S": SEEN_PK},
            "GSI3SK": {"S": f"{collected}#{r.node_id}"},
            "node_id": {"S": r.node_id},
            "report_id": {"S": r.report_id},
            "collected_at": {"S": collected},
            "received_at": {"S": iso(stored.received_at)},
            "hw_class": {"S": stored.hw_class},
            "backend": {"S": s.backend},
            "gpu_count": {"N": str(int(s.gpu_count))},
            "probe_version": {"S": r.probe_version},
            "report": {"S": body},
            # write amplification (_touch): what the report says, and when history last got an entry
            "content_digest": {"S": _content_digest(r)},
            "history_at": {"S": collected},
        }
        for name, value in (("gpu_name", s.gpu_name), ("hostname", r.hostname), ("os", r.os)):
            if value is not None:
                item[name] = {"S": value}
        if s.gpu_vram_gb is not None:
            item["gpu_vram_gb"] = {"N": _number(s.gpu_vram_gb)}
        if expected_class is None:
            return {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        return {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": _NEWER_IN_CLASS,
            "ExpressionAttributeValues": {
                ":c": {"S": collected},
                ":r": {"S": r.report_id},
                ":k": {"S": expected_class},
            },
        }

    def _raw_latest(self, node_id: str) -> dict[str, Any] | None:
        resp = self._call(
            "get_item",
            TableName=self.table,
            Key={"PK": {"S": _node_pk(node_id)}, "SK": {"S": "LATEST"}},
            ProjectionExpression="collected_at, report_id, hw_class",
            ConsistentRead=True,
        )
        item: dict[str, Any] | None = resp.get("Item")
        return item

    def _latest_or(self, fallback: StoredReport) -> StoredReport:
        found = self._get_latest(fallback.report.node_id, consistent=True)
        return found if found is not None else fallback

    def _touch(self, report: Report, *, received_at: datetime, digest: str, hw_class: str) -> IngestResult | None:
        """One GetItem (the latest's content digest and last history time) and, for an unchanged report, one
        UpdateItem of the latest item: no guard, no history entry, no class count (docs/operations.md)."""
        from fleetfit.store.base import HEARTBEAT

        resp = self._call(
            "get_item",
            TableName=self.table,
            Key={"PK": {"S": _node_pk(report.node_id)}, "SK": {"S": "LATEST"}},
            ProjectionExpression="content_digest, history_at, collected_at, report_id, hw_class",
            ConsistentRead=True,
        )
        item = resp.get("Item")
        if item is None or _s(item, "content_digest") != digest or "history_at" not in item:
            return None
        if item["hw_class"]["S"] != hw_class:
            return None  # available RAM crossed a class bucket: the full write moves the class counts
        collected = iso(report.collected_at)
        if _s(item, "report_id") == report.report_id and item["collected_at"]["S"] == collected:
            found = self._get_latest(report.node_id, consistent=True)  # a retry of the latest, unchanged
            if found is not None and found.report == report:
                return IngestResult(outcome="duplicate", latest=found)
            return None
        if collected <= item["collected_at"]["S"]:
            return None  # an older report: the full path keeps it in history
        if report.collected_at - parse_iso(item["history_at"]["S"]) >= HEARTBEAT:
            return None  # the daily heartbeat goes to history
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"PK": {"S": _node_pk(report.node_id)}, "SK": {"S": "LATEST"}},
                UpdateExpression="SET #r = :body, report_id = :rid, collected_at = :c, received_at = :now, GSI3SK = :seen",
                ConditionExpression="content_digest = :d AND hw_class = :k AND collected_at = :prev AND report_id = :prev_rid",
                ExpressionAttributeNames={"#r": "report"},
                ExpressionAttributeValues={
                    ":body": {"S": report.model_dump_json()},
                    ":rid": {"S": report.report_id},
                    ":c": {"S": collected},
                    ":now": {"S": iso(received_at)},
                    ":seen": {"S": f"{collected}#{report.node_id}"},
                    ":d": {"S": digest},
                    ":k": {"S": hw_class},
                    ":prev": item["collected_at"],
                    ":prev_rid": item["report_id"],
                },
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return None  # another report got there first: the full path decides
            raise StoreError(f"DynamoDB update failed: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB update failed: {type(exc).__name__}") from exc
        stored = StoredReport(report=report, received_at=received_at, hw_class=hw_class)
        return IngestResult(outcome="latest", latest=stored, unchanged=True)

    def delete_node(self, node_id: str) -> bool:
        """One transaction takes the latest item and the class count together (conditioned on the class the
        item holds, so the count cannot drift); then the node's history and guards go in batches of 25."""
        pk = _node_pk(node_id)
        known = False
        for attempt in range(_ATTEMPTS):
            old = self._raw_latest(node_id)
            if old is None:
                break
            klass = old["hw_class"]["S"]
            remove = {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"PK": {"S": pk}, "SK": {"S": "LATEST"}},
                    "ConditionExpression": "hw_class = :k",
                    "ExpressionAttributeValues": {":k": {"S": klass}},
                }
            }
            try:
                self.client.transact_write_items(TransactItems=[remove, self._count(klass, -1)])
                known = True
                break
            except ClientError as exc:
                if _cancellation(exc) is None:
                    raise StoreError(f"DynamoDB delete failed: {_code(exc)}") from exc
                time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))  # the node moved class meanwhile
            except BotoCoreError as exc:
                raise StoreError(f"DynamoDB delete failed: {type(exc).__name__}") from exc
        else:
            raise StoreError("DynamoDB delete: the node's latest report kept changing; retry")
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": pk}},
                "ProjectionExpression": "PK, SK",
            }
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            resp = self._call("query", **kwargs)
            keys = [{"PK": item["PK"], "SK": item["SK"]} for item in resp.get("Items", [])]
            for i in range(0, len(keys), 25):
                self._delete_batch(keys[i : i + 25])
            known = known or bool(keys)
            start = resp.get("LastEvaluatedKey")
            if start is None:
                return known

    def _delete_batch(self, keys: list[dict[str, Any]]) -> None:
        requests = [{"DeleteRequest": {"Key": key}} for key in keys]
        for attempt in range(_ATTEMPTS):
            resp = self._call("batch_write_item", RequestItems={self.table: requests})
            requests = resp.get("UnprocessedItems", {}).get(self.table, [])
            if not requests:
                return
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
        raise StoreError("DynamoDB delete left items unprocessed; retry")

    # -- reads ------------------------------------------------------------------------------------------
    def latest(self, node_id: str) -> StoredReport | None:
        return self._get_latest(node_id, consistent=False)

    def _get_latest(self, node_id: str, *, consistent: bool) -> StoredReport | None:
        resp = self._call(
            "get_item",
            TableName=self.table,
            Key={"PK": {"S": _node_pk(node_id)}, "SK": {"S": "LATEST"}},
            ProjectionExpression="#r, received_at, hw_class",
            ExpressionAttributeNames={"#r": "report"},
            ConsistentRead=consistent,
        )
        item = resp.get("Item")
        return None if item is None else _stored(item)

    def list_nodes(self, *, limit: int, token: str | None = None) -> Page[NodeRecord]:
        start = self._start_key(token, "nodes", {"GSI2PK": FLEET_PK}, ("PK", "SK", "GSI2PK", "GSI2SK"))
        return self._node_query(BY_FLEET, "GSI2", FLEET_PK, limit, start, "nodes")

    def nodes_in_class(self, hw_class: str, *, limit: int, token: str | None = None) -> Page[NodeRecord]:
        pk = f"CLASS#{hw_class}"
        start = self._start_key(token, "class", {"GSI1PK": pk}, ("PK", "SK", "GSI1PK", "GSI1SK"))
        return self._node_query(BY_CLASS, "GSI1", pk, limit, start, "class")

    def history(self, node_id: str, *, limit: int, token: str | None = None) -> Page[StoredReport]:
        pk = _node_pk(node_id)
        start = self._start_key(token, "history", {"PK": pk}, ("PK", "SK"))
        if start is not None and not start["SK"]["S"].startswith("REPORT#"):
            raise BadPageToken("next_token is not a token this API issued")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :pre)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":pre": {"S": "REPORT#"}},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        resp = self._call("query", **kwargs)
        items = resp.get("Items", [])
        page = items[:limit]
        next_key = _next_key(items, limit, resp, ("PK", "SK"))
        return Page(
            items=[_stored(i) for i in page],
            next_token=None if next_key is None else encode_token("history", next_key),
        )

    # -- the class registry and fleet-wide reads ----------------------------------------------------------
    def list_classes(self, *, limit: int = 500, token: str | None = None, digests: bool = False) -> Page[ClassRecord]:
        start = self._start_key(token, "classes", {"PK": CLASSES_PK}, ("PK", "SK"))
        projection = "hw_class, #sys, first_seen, nodes" + (", digest_version, digest" if digests else "")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": CLASSES_PK}},
            "ProjectionExpression": projection,
            "ExpressionAttributeNames": {"#sys": "system"},
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        resp = self._call("query", **kwargs)
        items = resp.get("Items", [])
        # The projection leaves out the keys: the class id is the sort key.
        for item in items:
            item.setdefault("PK", {"S": CLASSES_PK})
            item.setdefault("SK", item["hw_class"])
        next_key = _next_key(items, limit, resp, ("PK", "SK"))
        return Page(
            items=[_class(i) for i in items[:limit]],
            next_token=None if next_key is None else encode_token("classes", next_key),
        )

    def get_class(self, hw_class: str, *, digests: bool = False) -> ClassRecord | None:
        projection = "PK, SK, hw_class, #sys, first_seen, nodes" + (", digest_version, digest" if digests else "")
        resp = self._call(
            "get_item",
            TableName=self.table,
            Key={"PK": {"S": CLASSES_PK}, "SK": {"S": hw_class}},
            ProjectionExpression=projection,
            ExpressionAttributeNames={"#sys": "system"},
        )
        item = resp.get("Item")
        return _class(item) if item else None

    def put_class_digest(self, hw_class: str, version: str, digest: bytes) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"PK": {"S": CLASSES_PK}, "SK": {"S": hw_class}},
                UpdateExpression="SET digest_version = :v, digest = :d",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(digest_version) OR digest_version <> :v)",
                ExpressionAttributeValues={":v": {"S": version}, ":d": {"B": digest}},
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise StoreError(f"DynamoDB write failed: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB write failed: {type(exc).__name__}") from exc

    def stale_by_class(self, before: datetime) -> dict[str, int]:
        counts: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": BY_SEEN,
            "KeyConditionExpression": "GSI3PK = :pk AND GSI3SK < :before",
            "ExpressionAttributeValues": {":pk": {"S": SEEN_PK}, ":before": {"S": iso(before)}},
            "ProjectionExpression": "hw_class",
        }
        while True:
            resp = self._call("query", **kwargs)
            for item in resp.get("Items", []):
                klass = item["hw_class"]["S"]
                counts[klass] = counts.get(klass, 0) + 1
            last = resp.get("LastEvaluatedKey")
            if not last:
                return counts
            kwargs["ExclusiveStartKey"] = last

    def latest_many(self, node_ids: list[str]) -> dict[str, StoredReport]:
        found: dict[str, StoredReport] = {}
        wanted = list(dict.fromkeys(node_ids))
        for i in range(0, len(wanted), 100):  # BatchGetItem takes 100 keys
            keys = [{"PK": {"S": _node_pk(n)}, "SK": {"S": "LATEST"}} for n in wanted[i : i + 100]]
            request: dict[str, Any] = {
                self.table: {
                    "Keys": keys,
                    "ProjectionExpression": "#r, received_at, hw_class",
                    "ExpressionAttributeNames": {"#r": "report"},
                }
            }
            for attempt in range(_ATTEMPTS):
                resp = self._call("batch_get_item", RequestItems=request)
                for item in resp.get("Responses", {}).get(self.table, []):
                    stored = _stored(item)
                    found[stored.report.node_id] = stored
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise StoreError("DynamoDB batch read left keys unprocessed; retry")
        return found

    # -- helpers ----------------------------------------------------------------------------------------
    def _node_query(
        self, index: str, prefix: str, pk: str, limit: int, start: dict[str, Any] | None, kind: str
    ) -> Page[NodeRecord]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": f"{prefix}PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        resp = self._call("query", **kwargs)
        items = resp.get("Items", [])
        next_key = _next_key(items, limit, resp, ("PK", "SK", f"{prefix}PK", f"{prefix}SK"))
        return Page(
            items=[_node(i) for i in items[:limit]],
            next_token=None if next_key is None else encode_token(kind, next_key),
        )

    @staticmethod
    def _start_key(
        token: str | None, kind: str, fixed: dict[str, str], names: tuple[str, ...]
    ) -> dict[str, Any] | None:
        if not token:
            return None
        pos = decode_token(token, kind)
        if set(pos) != set(names) or any(pos[k] != v for k, v in fixed.items()):
            raise BadPageToken("next_token belongs to another listing")
        return {k: {"S": v} for k, v in pos.items()}

    def _call(self, op: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, op)(**kwargs)
            return result
        except ClientError as exc:
            raise StoreError(f"DynamoDB {op} failed: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB {op} failed: {type(exc).__name__}") from exc


def _content_digest(report: Report) -> str:
    from fleetfit.store.base import content_digest

    return content_digest(report)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "unknown"))


def _number(value: float) -> str:
    """A float as a DynamoDB number: those hold 38 significant digits and magnitudes 1e-130 to 1e126 (DynamoDB
    Developer Guide, "Supported data types"); 6 decimals of a GiB are a few kilobytes, beyond any reading."""
    return repr(round(float(value), 6))


def _ingest_error(exc: ClientError, reasons: list[tuple[str | None, dict[str, Any] | None]] | None) -> Exception:
    """What a failed ingest means: a value DynamoDB can never hold is a permanent refusal (ReportRefused, 422);
    anything else (throttling, outage) is a StoreError (503, retry)."""
    codes = [str(c) for c, _ in reasons or [] if c not in (None, "None")]
    if _code(exc) == "ValidationException" or "ValidationError" in codes:
        message = str(exc.response.get("Error", {}).get("Message", ""))[:200]
        return ReportRefused(f"the fleet store cannot hold this report: {message or 'a value is out of range'}")
    if reasons is None:
        return StoreError(f"DynamoDB ingest failed: {_code(exc)}")
    return StoreError(f"DynamoDB ingest was cancelled: {', '.join(codes) or _code(exc)}")


def _cancellation(exc: ClientError) -> list[tuple[str | None, dict[str, Any] | None]] | None:
    """Per transaction item: the cancellation code and the item as stored (when ALL_OLD returned it)."""
    if _code(exc) != "TransactionCanceledException":
        return None
    reasons = exc.response.get("CancellationReasons") or []
    found: list[tuple[str | None, dict[str, Any] | None]] = [(r.get("Code"), r.get("Item")) for r in reasons]
    if len(found) < 2:
        # Some clients carry the reasons only in the message: "... [ConditionalCheckFailed, None, None]"
        message = str(exc.response.get("Error", {}).get("Message", ""))
        if "[" in message:
            codes = [c.strip() for c in message[message.rfind("[") + 1 : message.rfind("]")].split(",")]
            found = [(c, None) for c in codes]
    while len(found) < 5:
        found.append((None, None))
    return found


def _next_key(
    items: list[dict[str, Any]], limit: int, resp: dict[str, Any], names: tuple[str, ...]
) -> dict[str, str] | None:
    if len(items) > limit:
        last = items[limit - 1]
        return {k: last[k]["S"] for k in names}
    evaluated = resp.get("LastEvaluatedKey")
    if evaluated and items:
        return {k: v["S"] for k, v in evaluated.items()}
    return None


def _s(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def _stored(item: dict[str, Any]) -> StoredReport:
    return StoredReport(
        report=Report.model_validate(json.loads(item["report"]["S"]), context=STORED),
        received_at=parse_iso(item["received_at"]["S"]),
        hw_class=item["hw_class"]["S"],
    )


def _class(item: dict[str, Any]) -> ClassRecord:
    digest = item.get("digest")
    return ClassRecord(
        hw_class=item["hw_class"]["S"],
        system=System.model_validate_json(item["system"]["S"], context=STORED),
        first_seen=parse_iso(item["first_seen"]["S"]),
        nodes=max(0, int(item["nodes"]["N"])),
        digest_version=_s(item, "digest_version"),
        digest=None if digest is None else bytes(digest["B"]),
    )


def _node(item: dict[str, Any]) -> NodeRecord:
    vram = item.get("gpu_vram_gb")
    return NodeRecord(
        node_id=item["node_id"]["S"],
        report_id=item["report_id"]["S"],
        collected_at=parse_iso(item["collected_at"]["S"]),
        received_at=parse_iso(item["received_at"]["S"]),
        hw_class=item["hw_class"]["S"],
        backend=item["backend"]["S"],
        gpu_name=_s(item, "gpu_name"),
        gpu_count=int(item["gpu_count"]["N"]),
        gpu_vram_gb=None if vram is None else float(vram["N"]),
        hostname=_s(item, "hostname"),
        os=_s(item, "os"),
        probe_version=item["probe_version"]["S"],
    )


def seed_nodes(store: DynamoStore, reports: Iterable[Report], *, received_at: datetime) -> int:
    """Fill an empty table quickly, for tests and benchmarks on moto (which copies the whole table on every
    transaction, so ingesting thousands of nodes one by one takes minutes): each report becomes its node's
    latest item, exactly as `put_report` writes it, and each class is counted once with its total; no history.
    Not for live tables: it neither checks nor moves existing items. Returns the number of nodes written."""
    from fleetfit.store.keys import class_system, hardware_class

    puts: list[dict[str, Any]] = []
    counts: dict[str, tuple[int, str]] = {}
    for report in reports:
        klass = hardware_class(report.system)
        stored = StoredReport(report=report, received_at=received_at, hw_class=klass)
        puts.append({"PutRequest": {"Item": store._latest_put(stored, report.model_dump_json(), None)["Item"]}})
        n, system = counts.get(klass, (0, ""))
        counts[klass] = (n + 1, system or class_system(report.system).model_dump_json())
    for i in range(0, len(puts), 25):  # BatchWriteItem takes 25 items
        request = {store.table: puts[i : i + 25]}
        while request:
            request = store.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    for klass, (n, system) in counts.items():
        store.client.update_item(**store._count(klass, n, system, iso(received_at))["Update"])
    return len(puts)
