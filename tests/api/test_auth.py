"""The caller rule, unit by unit (the routes' 403s are in test_security.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fleetfit.api.auth import Caller, Forbidden, Unauthenticated, caller_of, check_may_write
from fleetfit.store import StoreError

from .support import Call, node_identity


def _event(arn: str | None) -> dict[str, Any]:
    return {"requestContext": {"identity": {"userArn": arn}}}


@pytest.mark.parametrize(
    ("arn", "kind", "session"),
    [
        ("arn:aws:sts::123456789012:assumed-role/fleetfit-node/i-0123456789abcdef0", "assumed-role", "i-0123456789abcdef0"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/r/i-0abc", "assumed-role", "i-0abc"),
        ("arn:aws-cn:sts::123456789012:assumed-role/r/6f3a0c9e01ab", "assumed-role", "6f3a0c9e01ab"),
        ("arn:aws:sts::123456789012:assumed-role/r/gpu-lab-07@example.com", "assumed-role", "gpu-lab-07@example.com"),
        ("arn:aws:iam::123456789012:user/ops/alice", "iam-user", None),
        ("arn:aws:iam::123456789012:root", "other", None),
        ("arn:aws:sts::123456789012:federated-user/bob", "other", None),
        (None, "none", None),
        ("", "none", None),
    ],
)  # fmt: skip
def test_caller_kinds(arn: str | None, kind: str, session: str | None) -> None:
    caller = caller_of(_event(arn), "iam")
    assert caller.kind == kind and caller.session == session


def test_local_mode_trusts_the_server_token_check() -> None:
    assert caller_of(_event(None), "local") == Caller(kind="local")
    check_may_write(Caller(kind="local"), "any-node", path_node_id=None)


NODE_ROLES = frozenset({"AROANODEROLEID01"})


def test_binding_rules() -> None:
    node = Caller(kind="assumed-role", role="fleetfit-node", session="i-0abc", role_id="AROANODEROLEID01")
    check_may_write(node, "i-0abc", path_node_id=None, node_role_ids=NODE_ROLES)
    with pytest.raises(Forbidden, match="i-0def"):
        check_may_write(node, "i-0def", path_node_id=None, node_role_ids=NODE_ROLES)
    with pytest.raises(Forbidden):
        check_may_write(Caller(kind="iam-user"), "alice", path_node_id=None, node_role_ids=NODE_ROLES)
    check_may_write(Caller(kind="iam-user"), "alice", path_node_id="alice")  # IAM bound the path
    with pytest.raises(Unauthenticated):
        check_may_write(Caller(kind="none"), "x", path_node_id="x")


@pytest.mark.parametrize(
    "caller",
    [
        # the session name is the node id, but the role is not an allow-listed node role: an operator or a
        # Roles Anywhere role whose profile lets the node pick its session name
        Caller(kind="assumed-role", role="fleetfit-node", session="i-0abc", role_id="AROAOTHERROLE99"),
        # a role re-created under the node role's name has another unique id
        Caller(kind="assumed-role", role="fleetfit-node", session="i-0abc", role_id="AROARECREATED123"),
        # no unique id in the event (identity.caller missing or naming another session)
        Caller(kind="assumed-role", role="fleetfit-node", session="i-0abc", role_id=None),
    ],
)
def test_a_session_name_alone_never_binds_a_node(caller: Caller) -> None:
    with pytest.raises(Forbidden, match="node role"):
        check_may_write(caller, "i-0abc", path_node_id=None, node_role_ids=NODE_ROLES)
    with pytest.raises(Forbidden):  # and with no node role configured, nobody binds through the session
        check_may_write(caller, "i-0abc", path_node_id=None)


def test_the_role_unique_id_comes_from_identity_caller_for_the_same_session() -> None:
    arn = "arn:aws:sts::123456789012:assumed-role/fleetfit-node/i-0abc"
    event = {"requestContext": {"identity": {"userArn": arn, "caller": "AROANODEROLEID01:i-0abc"}}}
    assert caller_of(event, "iam").role_id == "AROANODEROLEID01"
    forged = {"requestContext": {"identity": {"userArn": arn, "caller": "AROANODEROLEID01:i-0def"}}}
    assert caller_of(forged, "iam").role_id is None
    not_a_role = {"requestContext": {"identity": {"userArn": arn, "caller": "AIDAUSERID:i-0abc"}}}
    assert caller_of(not_a_role, "iam").role_id is None


def test_node_role_ids_are_read_from_the_environment() -> None:
    from fleetfit.api.settings import Settings

    settings = Settings.from_env({"FLEETFIT_NODE_ROLE_IDS": "AROAONE1, AROATWO2,,"})
    assert settings.node_roles == frozenset({"AROAONE1", "AROATWO2"})
    assert Settings().node_roles == frozenset()


def test_store_outage_is_503_not_500(call: Call, lambda_services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_: Any, **__: Any) -> Any:
        raise StoreError("DynamoDB query failed: ProvisionedThroughputExceededException")

    monkeypatch.setattr(lambda_services.store, "list_nodes", down)
    monkeypatch.setattr(lambda_services.store, "_put", down)
    r = call("GET", "/api/v1/nodes")
    assert r.status == 503 and "retry" in r.body["error"]
    from fleetfit.store.samples import sample_report

    r = call(
        "POST",
        "/api/v1/reports",
        body=sample_report("i-0abc").model_dump(mode="json"),
        identity=node_identity("i-0abc"),
    )
    assert r.status == 503
