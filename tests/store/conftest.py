"""Both stores behind one fixture: every test in tests/store runs on SQLite and on moto DynamoDB."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fleetfit.store import Store
from fleetfit.store.dynamodb import TABLE_DEFINITION, DynamoStore
from fleetfit.store.sqlite import SqliteStore


class CallCounter(Counter[str]):
    """DynamoDB operations made through a client (botocore event hook), by operation name."""

    def __call__(self, model: Any, **_: Any) -> None:
        self[model.name] += 1


@pytest.fixture
def dynamo_client() -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"])
        client.create_table(TableName="fleetfit-test", **TABLE_DEFINITION)
        yield client


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Store]:
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "fleet.db")
        yield s
        s.close()
    else:
        client = request.getfixturevalue("dynamo_client")
        yield DynamoStore("fleetfit-test", client=client)


@pytest.fixture
def counted_dynamo(dynamo_client: Any) -> tuple[DynamoStore, CallCounter]:
    counter = CallCounter()
    dynamo_client.meta.events.register("before-call.dynamodb", counter)
    return DynamoStore("fleetfit-test", client=dynamo_client), counter
