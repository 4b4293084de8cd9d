"""The node's id: `--node-id`, else the EC2 instance id (IMDSv2), else a hash of /etc/machine-id (never
the raw id), else the hostname. Computed afresh on every run and never cached on disk, so an image baked
after a probe run does not hand its id to every instance cloned from it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable

from probe_client.host import Host

log = logging.getLogger(__name__)

NODE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")  # the Report contract's node_id pattern
NODE_ID_MAX = 128
IMDS_URL = "http://169.254.169.254"
IMDS_TIMEOUT_S = 1.0
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_EC2_MARKERS = ("amazon ec2", "amazon")
_DMI_FILES = ("sys_vendor", "board_vendor", "bios_vendor")


def valid_node_id(value: str) -> bool:
    return len(value) <= NODE_ID_MAX and bool(NODE_ID_PATTERN.match(value))


def imds_instance_id(base_url: str = IMDS_URL, timeout: float = IMDS_TIMEOUT_S) -> str | None:
    """The EC2 instance id through IMDSv2 (token first), or None; each request waits at most `timeout`.
    Proxies are bypassed: the metadata service is link-local."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        token_request = urllib.request.Request(
            f"{base_url}/latest/api/token",
            method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
        )
        with opener.open(token_request, timeout=timeout) as response:
            token = response.read().decode("ascii").strip()
        id_request = urllib.request.Request(
            f"{base_url}/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token}
        )
        with opener.open(id_request, timeout=timeout) as response:
            instance_id = response.read().decode("ascii").strip()
    except (OSError, urllib.error.URLError, UnicodeDecodeError, ValueError) as exc:
        log.debug("IMDS did not answer: %s", type(exc).__name__)
        return None
    return instance_id if _INSTANCE_ID.match(instance_id) else None


def on_ec2(host: Host) -> bool:
    """DMI says Amazon (Nitro) or the Xen hypervisor uuid starts with ec2: only then is IMDS worth asking,
    so a probe elsewhere never waits on 169.254.169.254."""
    for name in _DMI_FILES:
        vendor = (host.read_text(f"/sys/class/dmi/id/{name}") or "").strip().lower()
        if vendor in _EC2_MARKERS:
            return True
    return (host.read_text("/sys/hypervisor/uuid") or "").lower().startswith("ec2")


def machine_id_hash(machine_id: str) -> str:
    digest = hashlib.sha256(b"fleetfit-node-id:" + machine_id.encode("ascii", "replace")).hexdigest()
    return f"mid-{digest[:32]}"


def hostname_id(hostname: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._:@-]", "-", hostname.strip()).lstrip("._:@-")[:NODE_ID_MAX]
    return cleaned or "unknown-node"


def resolve_node_id(
    explicit: str | None,
    host: Host,
    imds: Callable[[], str | None] = imds_instance_id,
) -> tuple[str, str]:
    """(node id, where it came from). `explicit` must already be valid."""
    if explicit:
        return explicit, "--node-id"
    if on_ec2(host):
        instance_id = imds()
        if instance_id:
            return instance_id, "EC2 instance id (IMDSv2)"
        # Nitro instances also print their id as the DMI board asset tag, readable without IMDS.
        tag = (host.read_text("/sys/class/dmi/id/board_asset_tag") or "").strip()
        if _INSTANCE_ID.match(tag):
            return tag, "EC2 instance id (DMI asset tag)"
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        machine_id = (host.read_text(path) or "").strip()
        if machine_id:
            return machine_id_hash(machine_id), "hash of machine-id"
    return hostname_id(host.hostname()), "hostname"
