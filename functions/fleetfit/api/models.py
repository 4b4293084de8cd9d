"""The API's own request and response models (the seed's objects live in ``fleetfit.contract``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fleetfit.contract import Report


class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, naming the parameter or field at fault")


class NodeSummary(BaseModel):
    node_id: str
    hostname: str | None
    os: str | None
    last_seen: datetime = Field(description="collected_at of the node's latest report")
    received_at: datetime = Field(description="when the API stored that report")
    stale: bool = Field(description="no report for longer than the stale period")
    backend: str
    gpu_name: str | None
    gpu_count: int
    gpu_vram_gb: float | None
    hw_class: str = Field(description="fingerprint shared by nodes that the fit engine treats alike")
    report_id: str
    probe_version: str


class NodePage(BaseModel):
    nodes: list[NodeSummary]
    next_token: str | None = Field(description="pass as next_token for the next page; null on the last")


class NodeDetail(NodeSummary):
    report: Report = Field(description="the node's latest report")


class HistoryEntry(BaseModel):
    received_at: datetime
    hw_class: str
    report: Report


class HistoryPage(BaseModel):
    node_id: str
    reports: list[HistoryEntry] = Field(description="newest collected_at first")
    next_token: str | None


class CatalogInfo(BaseModel):
    version: str = Field(description="content hash of the catalog in use")
    models: int
    loaded_from: str
    source: str = Field(description="'s3' or 'bundled'")
    checked_at: datetime | None = Field(description="last time S3 was asked for a newer object")


class NodeRef(BaseModel):
    name: str
    os: str


class Health(BaseModel):
    status: str
    node: NodeRef
    version: str
