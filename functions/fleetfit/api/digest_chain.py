"""Publish-time digests past one invocation. A published catalog's digests are computed within one Lambda
invocation's budget (api/catalogs.py, ``precompute_digests``); when classes are left and the hop made progress,
the function sends itself one EventBridge event ("Digests pending", default bus, template.yaml: the
DigestsPending rule), and the invocation it starts computes the next batch, for as long as the catalog it
worked for is still the one in use. The chain stops when nothing is pending, when a hop made no progress,
after ``Settings.digest_max_hops`` hops, or when a newer publish superseded the catalog (that publish has its
own chain). A send that fails is logged and reported, never raised: fleet summaries still compute the classes
left, lazily, as they did before the chain.
"""

from __future__ import annotations

import json
from typing import Any

from fleetfit.api.telemetry import count, logger

SOURCE = "fleetfit.digests"
DETAIL_TYPE = "Digests pending"
_MAX_VERSION_CHARS = 128


def is_digests_pending(event: dict[str, Any]) -> bool:
    """The chain's own event, as EventBridge delivers it (template.yaml: DigestsPending)."""
    return event.get("source") == SOURCE and event.get("detail-type") == DETAIL_TYPE


def continuation_of(event: dict[str, Any]) -> tuple[str, int] | None:
    """The catalog version and hop a "Digests pending" event carries, or None when it carries no valid ones."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    version, hop = detail.get("catalog_version"), detail.get("hop")
    if not isinstance(version, str) or not 0 < len(version) <= _MAX_VERSION_CHARS:
        return None
    if not isinstance(hop, int) or isinstance(hop, bool) or hop < 1:
        return None
    return version, hop


def events_client(svc: Any) -> Any:
    """The EventBridge client, built on first use like the store's and the catalog's (store/boto.py)."""
    if svc.events is None:
        from fleetfit.store.boto import client as aws_client

        svc.events = aws_client("events")
    return svc.events


def send_continuation(svc: Any, version: str, hop: int, pending: int) -> str | None:
    """Put one "Digests pending" event on the default bus for hop ``hop``: None when EventBridge took it, else
    why not (an error code or type, never a message that could carry request details)."""
    from botocore.exceptions import BotoCoreError, ClientError

    detail = {"catalog_version": version, "hop": hop, "pending": pending}
    entry = {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail)}
    try:
        answer = events_client(svc).put_events(Entries=[entry])
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")[:64]
    except BotoCoreError as exc:  # EndpointConnectionError, timeouts, no region or credentials
        return type(exc).__name__
    if answer.get("FailedEntryCount"):
        failed = (answer.get("Entries") or [{}])[0]
        return str(failed.get("ErrorCode") or "FailedEntry")[:64]
    return None


def run_hop(svc: Any, *, budget_s: float, hop: int, version: str | None = None) -> dict[str, Any]:
    """One hop: precompute the next batch of digests within ``budget_s``, then continue the chain or say why
    not (``continuation``: sent, failed, done, no_progress, hop_limit, superseded). Hop 0 is the publish event
    itself (any catalog version: the one just loaded); later hops name the version they continue."""
    from fleetfit.api.catalogs import precompute_digests

    done = precompute_digests(svc, budget_s=budget_s, version=version)
    computed, pending = int(done["computed"]), int(done["pending"])
    count("DigestsPrecomputed", computed)
    if "superseded" in done:
        step = "superseded"
    elif pending == 0:
        step = "done"
    elif computed == 0:
        step = "no_progress"
    elif hop + 1 > svc.settings.digest_max_hops:
        step = "hop_limit"
    else:
        error = send_continuation(svc, str(done["catalog_version"]), hop + 1, pending)
        step = "sent" if error is None else "failed"
        if error is not None:
            done["continuation_error"] = error
            count("DigestContinuationsFailed")
            logger.warning(
                "digests pending: continuation not sent; fleet summaries will compute the classes left",
                catalog_version=done["catalog_version"],
                hop=hop,
                pending=pending,
                error=error,
            )
    done.update(hop=hop, continuation=step)
    logger.info(
        "digest hop",
        catalog_version=done["catalog_version"],
        hop=hop,
        computed=computed,
        pending=pending,
        continuation=step,
        superseded=done.get("superseded"),
    )
    return done


def on_digests_pending(svc: Any, event: dict[str, Any], *, budget_s: float) -> dict[str, Any]:
    """A "Digests pending" event: the next hop, unless the event is malformed or past the hop bound."""
    found = continuation_of(event)
    if found is None:
        logger.warning("digests-pending event without a valid catalog version and hop; ignored")
        return {"computed": 0, "pending": 0, "continuation": "ignored", "ignored": "malformed detail"}
    version, hop = found
    if hop > svc.settings.digest_max_hops:
        logger.warning(
            "digests-pending event past the hop bound; ignored",
            catalog_version=version,
            hop=hop,
            max_hops=svc.settings.digest_max_hops,
        )
        return {"catalog_version": version, "computed": 0, "pending": 0, "hop": hop, "continuation": "hop_limit"}
    return run_hop(svc, budget_s=budget_s, hop=hop, version=version)
