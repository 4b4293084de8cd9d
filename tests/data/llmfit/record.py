"""Record llmfit's answers to requests.json, small, into llmfit-1.1.17.json (run by hand, not by the tests).

    llmfit --ram 64G --cpu-cores 16 serve --port 8799 --no-dashboard &
    python tests/data/llmfit/record.py http://127.0.0.1:8799

Each answer keeps its status, content type and body; a model listing keeps its envelope, its first row in
full, the key set of every row and, for the other rows, only the fields filters and sorts read.
"""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).parent
ROW_FIELDS = (
    "name",
    "fit_level",
    "runtime",
    "category",
    "license",
    "score",
    "estimated_tps",
    "params_b",
    "utilization_pct",
    "context_length",
    "usable_context",
    "effective_context_length",
    "release_date",
)


def send(base: str, request: dict[str, Any]) -> tuple[int, str, bytes]:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=120)
    path = request["path"]
    if request.get("query"):
        path += "?" + urlencode(request["query"])
    body = json.dumps(request["body"]).encode() if "body" in request else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(request["method"], path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Type") or "", data


def small(data: bytes) -> Any:
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")[:300]
    if isinstance(body, dict) and isinstance(body.get("models"), list) and "total_models" in body:
        rows = body["models"]
        body["model_keys"] = sorted({k for row in rows for k in row})
        body["models"] = rows[:1] + [{k: row.get(k) for k in ROW_FIELDS} for row in rows[1:]]
    return body


def main(base: str) -> None:
    spec = json.loads((HERE / "requests.json").read_text())
    out = {}
    for request in spec["requests"]:
        status, content_type, data = send(base, request)
        out[request["id"]] = {"status": status, "content_type": content_type, "body": small(data)}
        print(request["id"], status, file=sys.stderr)
    text = json.dumps({"llmfit": "1.1.17", "command": "llmfit --ram 64G --cpu-cores 16 serve", "answers": out},
                      indent=1, sort_keys=True)  # fmt: skip
    (HERE / "llmfit-1.1.17.json").write_text(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8799")
