"""Who is calling, and may they write this node's reports?

On AWS every route uses the ``AWS_IAM`` authorizer: API Gateway has checked the SigV4 signature and the
caller's ``execute-api:Invoke`` permission before the Lambda runs, and puts the caller in
``requestContext.identity`` (``userArn``, and ``caller`` = ``ROLE_UNIQUE_ID:SESSION`` for a role session).
A node id is bound only to something the caller cannot choose:

1. ``POST /api/v1/reports``: the caller must be a session of a **node role** — a role whose unique id
   (``AROA…``, ``identity.caller``) is allow-listed in ``FLEETFIT_NODE_ROLE_IDS`` — and the report's
   ``node_id`` must equal the session name. A node role is trusted by ``ec2.amazonaws.com`` only, so its
   sessions are EC2 instance-profile sessions and EC2 sets the session name to the instance id; nobody can
   call ``sts:AssumeRole`` on it with a session name of their choosing. A role's unique id changes when the
   role is deleted and re-created, so a look-alike role with the same name is not a node role. Sessions of
   any other role (an operator's, an IAM Roles Anywhere role, whose session name a profile may let the node
   pick) are refused here, whatever their session name.
2. ``POST /api/v1/nodes/{node_id}/reports``: the body's ``node_id`` must equal the path's, and IAM binds the
   path to the caller: the node's policy allows ``execute-api:Invoke`` only on
   ``…/POST/api/v1/nodes/${aws:PrincipalTag/x509Subject/CN}/reports`` (Roles Anywhere: the tag comes from
   the certificate the CA issued); an operator role that registers machines, allowed on
   ``…/nodes/*/reports``, may write any node.
3. ``DELETE /api/v1/nodes/{node_id}``: operators only; IAM allows it to the operator policy, and the handler
   refuses node-role sessions as well.
4. Anything else is refused with 403.

On one machine (``fleetfit serve``) the server checks the bearer token before building the event; the
token is shared by the lab, so any token holder may write any node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

_ASSUMED_ROLE = re.compile(
    r"^arn:aws[a-z-]*:sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]+)/(?P<session>[\w+=,.@-]+)$"
)
_IAM_USER = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):user/(?:[\w+=,.@/-]*/)?(?P<user>[\w+=,.@-]+)$")


_ROLE_ID = re.compile(r"^AROA[A-Z0-9]{4,128}$")


class Forbidden(Exception):
    """403: the caller is authenticated but may not do this."""


class Unauthenticated(Exception):
    """403 too (API Gateway's own answer to an unsigned call): no caller identity in the event."""


@dataclass(frozen=True)
class Caller:
    kind: Literal["assumed-role", "iam-user", "other", "local", "none"]
    role: str | None = None
    session: str | None = None
    role_id: str | None = None  # the role's unique id (AROA…), from identity.caller

    def describe(self) -> str:
        if self.kind == "assumed-role":
            return f"role {self.role!r} ({self.role_id or 'no unique id'}), session {self.session!r}"
        return self.kind

    def is_node_role(self, node_role_ids: frozenset[str]) -> bool:
        return self.kind == "assumed-role" and self.role_id is not None and self.role_id in node_role_ids


def caller_of(event: dict[str, Any], auth_mode: str) -> Caller:
    if auth_mode == "local":
        return Caller(kind="local")
    identity = (event.get("requestContext") or {}).get("identity") or {}
    arn = identity.get("userArn")
    if not isinstance(arn, str) or not arn:
        return Caller(kind="none")
    if m := _ASSUMED_ROLE.match(arn):
        role_id, _, session = str(identity.get("caller") or "").partition(":")
        same_session = session == m["session"] and _ROLE_ID.match(role_id) is not None
        return Caller(
            kind="assumed-role", role=m["role"], session=m["session"], role_id=role_id if same_session else None
        )
    if m := _IAM_USER.match(arn):
        return Caller(kind="iam-user")
    return Caller(kind="other")


def require_identity(caller: Caller) -> None:
    if caller.kind == "none":
        raise Unauthenticated("the request carries no IAM identity: sign it with SigV4 (service execute-api)")


def check_may_write(
    caller: Caller, node_id: str, *, path_node_id: str | None, node_role_ids: frozenset[str] = frozenset()
) -> None:
    """Raise Forbidden unless ``caller`` may store a report for ``node_id`` (see the module docstring)."""
    require_identity(caller)
    if caller.is_node_role(node_role_ids) and caller.session != node_id:
        pass  # a node-role session is bound to its instance id on every route, whatever IAM allowed
    elif path_node_id is not None:
        # The IAM policy on the path did the binding (rule 2); the body must agree with the path.
        return
    if caller.kind == "local":
        return
    if caller.is_node_role(node_role_ids) and caller.session == node_id:
        return
    if caller.is_node_role(node_role_ids):
        reason = "a node may write only its own reports, and its node_id is its instance id (the session name)"
    else:
        reason = (
            "POST /api/v1/reports binds node_id to the session of a node role (an EC2 instance role listed in "
            "FLEETFIT_NODE_ROLE_IDS); other callers post to /api/v1/nodes/{node_id}/reports under an IAM "
            "policy that names the node"
        )
    raise Forbidden(f"node_id {node_id[:128]!r} is not the caller's node ({caller.describe()}): {reason}")


def check_operator(caller: Caller, node_role_ids: frozenset[str]) -> None:
    """Raise Forbidden when a node-role session (or no identity) asks for an operator-only action."""
    require_identity(caller)
    if caller.is_node_role(node_role_ids):
        raise Forbidden(f"operators only: the caller is a node ({caller.describe()})")
