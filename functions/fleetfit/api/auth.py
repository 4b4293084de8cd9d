"""Who is calling, and may they write this node's reports?

On AWS every route uses the ``AWS_IAM`` authorizer: API Gateway has checked the SigV4 signature and the
caller's ``execute-api:Invoke`` permission before the Lambda runs, and puts the caller in
``requestContext.identity``. The rule for writes:

1. ``POST /api/v1/reports``: the report's ``node_id`` must equal the caller's **role session name** — the
   last part of ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``. For an EC2 instance profile the
   session name is the instance id (``i-0abc…``), which is the probe's default node id on EC2. For IAM
   Roles Anywhere it is the certificate's serial number (hex), or the node id when the profile accepts a
   custom role session name.
2. ``POST /api/v1/nodes/{node_id}/reports``: the body's ``node_id`` must equal the path's, and IAM binds the
   path to the caller: the node's policy allows ``execute-api:Invoke`` only on
   ``…/POST/api/v1/nodes/${aws:PrincipalTag/x509Subject/CN}/reports`` (Roles Anywhere) or
   ``…/${aws:PrincipalTag/fleetfit:node-id}/reports`` (a tagged role); an operator role that registers
   machines allowed on ``…/nodes/*/reports`` may write any node.
3. Anything else is refused with 403.

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


class Forbidden(Exception):
    """403: the caller is authenticated but may not do this."""


class Unauthenticated(Exception):
    """403 too (API Gateway's own answer to an unsigned call): no caller identity in the event."""


@dataclass(frozen=True)
class Caller:
    kind: Literal["assumed-role", "iam-user", "other", "local", "none"]
    role: str | None = None
    session: str | None = None

    def describe(self) -> str:
        if self.kind == "assumed-role":
            return f"role {self.role!r}, session {self.session!r}"
        return self.kind


def caller_of(event: dict[str, Any], auth_mode: str) -> Caller:
    if auth_mode == "local":
        return Caller(kind="local")
    identity = (event.get("requestContext") or {}).get("identity") or {}
    arn = identity.get("userArn")
    if not isinstance(arn, str) or not arn:
        return Caller(kind="none")
    if m := _ASSUMED_ROLE.match(arn):
        return Caller(kind="assumed-role", role=m["role"], session=m["session"])
    if m := _IAM_USER.match(arn):
        return Caller(kind="iam-user")
    return Caller(kind="other")


def require_identity(caller: Caller) -> None:
    if caller.kind == "none":
        raise Unauthenticated("the request carries no IAM identity: sign it with SigV4 (service execute-api)")


def check_may_write(caller: Caller, node_id: str, *, path_node_id: str | None) -> None:
    """Raise Forbidden unless ``caller`` may store a report for ``node_id`` (see the module docstring)."""
    require_identity(caller)
    if path_node_id is not None:
        # The IAM policy on the path did the binding (rule 2); the body must agree with the path.
        return
    if caller.kind == "local":
        return
    if caller.kind == "assumed-role" and caller.session == node_id:
        return
    raise Forbidden(
        f"node_id {node_id!r} is not the caller's node ({caller.describe()}): a node may write only its own "
        "reports; its node_id must equal its role session name (the instance id under an EC2 instance "
        "profile), or post to /api/v1/nodes/{node_id}/reports under an IAM policy that names the node"
    )
