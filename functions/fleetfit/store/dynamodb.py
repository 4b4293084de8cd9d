"""The AWS store: one DynamoDB table (single-table design), reached with the low-level client.

Items (every access pattern below is a GetItem or a Query, never a Scan):

- latest report: ``PK=NODE#<node_id>``, ``SK=LATEST``; also ``GSI1PK=CLASS#<hw_class>``,
  ``GSI1SK=NODE#<node_id>`` (index ``by_class``), ``GSI2PK=FLEET``, ``GSI2SK=NODE#<node_id>`` (``by_fleet``)
- history entry: ``PK=NODE#<node_id>``, ``SK=REPORT#<collected_at>#<report_id>``; TTL ``expires_at``
- report-id guard: ``PK=NODE#<node_id>``, ``SK=RID#<report_id>``; TTL ``expires_at``

- latest report of a node: GetItem ``NODE#id``/``LATEST``
- history, newest first: Query ``PK = NODE#id AND begins_with(SK, "REPORT#")``, backwards
- all nodes, by id: Query GSI2 ``by_fleet`` ``GSI2PK = FLEET`` (only latest items carry GSI2 keys: sparse)
- nodes of hardware class K: Query GSI1 ``by_class`` ``GSI1PK = CLASS#K`` (a node that changes class moves
  with its latest item)
- ingest: one TransactWriteItems (guard if absent + history + latest if newer); on cancellation the reasons
  say whether the report was a duplicate or older than the stored latest.

Both indexes project the node summary (``SUMMARY_ATTRS``), not the report body, so listings stay small.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fleetfit.contract import Report
from fleetfit.store.base import (
    BadPageToken,
    IngestResult,
    NodeRecord,
    Page,
    Store,
    StoredReport,
    StoreError,
    decode_token,
    encode_token,
    iso,
    parse_iso,
)

BY_CLASS = "by_class"
BY_FLEET = "by_fleet"
FLEET_PK = "FLEET"
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
        {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
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
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

_NEWER = "attribute_not_exists(PK) OR collected_at < :c OR (collected_at = :c AND report_id < :r)"


def _node_pk(node_id: str) -> str:
    return f"NODE#{node_id}"


class DynamoStore(Store):
    """``Store`` on DynamoDB. History and report-id guards expire after ``history_days`` (table TTL)."""

    def __init__(self, table_name: str, *, client: Any = None, history_days: int = 90) -> None:
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        self.client = client
        self.table = table_name
        self.history_days = history_days

    # -- writes -----------------------------------------------------------------------------------------
    def _put(self, report: Report, *, received_at: datetime, hw_class: str) -> IngestResult:
        stored = StoredReport(report=report, received_at=received_at, hw_class=hw_class)
        collected = iso(report.collected_at)
        expires = str(int((received_at + timedelta(days=self.history_days)).timestamp()))
        pk = _node_pk(report.node_id)
        body = report.model_dump_json()
        guard = {
            "PK": {"S": pk},
            "SK": {"S": f"RID#{report.report_id}"},
            "collected_at": {"S": collected},
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
        latest_put = {"Put": {**self._latest_put(stored, body), "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        try:
            self.client.transact_write_items(TransactItems=[guard_put, history_put, latest_put])
            return IngestResult(outcome="latest", latest=stored)
        except ClientError as exc:
            reasons = _cancellation_codes(exc)
            if reasons is None:
                raise StoreError(f"DynamoDB ingest failed: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB ingest failed: {type(exc).__name__}") from exc

        if reasons[0] == "ConditionalCheckFailed":
            # Seen before. An earlier attempt may have died between writes: repair the latest (newer-wins).
            self._put_latest_if_newer(stored, body)
            return IngestResult(outcome="duplicate", latest=self._latest_or(stored))
        if reasons[2] == "ConditionalCheckFailed" and all(r in (None, "None") for r in reasons[:2]):
            try:
                self.client.transact_write_items(TransactItems=[guard_put, history_put])
            except ClientError as exc:
                again = _cancellation_codes(exc)
                if again is None or again[0] != "ConditionalCheckFailed":
                    raise StoreError(f"DynamoDB ingest failed: {_code(exc)}") from exc
                return IngestResult(outcome="duplicate", latest=self._latest_or(stored))
            return IngestResult(outcome="older", latest=self._latest_or(stored))
        raise StoreError(f"DynamoDB ingest was cancelled: {', '.join(str(r) for r in reasons)}")

    def _latest_put(self, stored: StoredReport, body: str) -> dict[str, Any]:
        r, s = stored.report, stored.report.system
        pk = _node_pk(r.node_id)
        item: dict[str, Any] = {
            "PK": {"S": pk},
            "SK": {"S": "LATEST"},
            "GSI1PK": {"S": f"CLASS#{stored.hw_class}"},
            "GSI1SK": {"S": pk},
            "GSI2PK": {"S": FLEET_PK},
            "GSI2SK": {"S": pk},
            "node_id": {"S": r.node_id},
            "report_id": {"S": r.report_id},
            "collected_at": {"S": iso(r.collected_at)},
            "received_at": {"S": iso(stored.received_at)},
            "hw_class": {"S": stored.hw_class},
            "backend": {"S": s.backend},
            "gpu_count": {"N": str(s.gpu_count)},
            "probe_version": {"S": r.probe_version},
            "report": {"S": body},
        }
        for name, value in (("gpu_name", s.gpu_name), ("hostname", r.hostname), ("os", r.os)):
            if value is not None:
                item[name] = {"S": value}
        if s.gpu_vram_gb is not None:
            item["gpu_vram_gb"] = {"N": repr(float(s.gpu_vram_gb))}
        return {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": _NEWER,
            "ExpressionAttributeValues": {":c": {"S": iso(r.collected_at)}, ":r": {"S": r.report_id}},
        }

    def _put_latest_if_newer(self, stored: StoredReport, body: str) -> None:
        try:
            self.client.put_item(**self._latest_put(stored, body))
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise StoreError(f"DynamoDB write failed: {_code(exc)}") from exc

    def _latest_or(self, fallback: StoredReport) -> StoredReport:
        found = self._get_latest(fallback.report.node_id, consistent=True)
        return found if found is not None else fallback

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


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "unknown"))


def _cancellation_codes(exc: ClientError) -> list[str | None] | None:
    if _code(exc) != "TransactionCanceledException":
        return None
    reasons = exc.response.get("CancellationReasons") or []
    codes = [r.get("Code") for r in reasons]
    if len(codes) < 2:
        # Some clients carry the reasons only in the message: "... [ConditionalCheckFailed, None, None]"
        message = str(exc.response.get("Error", {}).get("Message", ""))
        if "[" in message:
            codes = [c.strip() for c in message[message.rfind("[") + 1 : message.rfind("]")].split(",")]
    while len(codes) < 3:
        codes.append(None)
    return codes


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
        report=Report.model_validate(json.loads(item["report"]["S"])),
        received_at=parse_iso(item["received_at"]["S"]),
        hw_class=item["hw_class"]["S"],
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
