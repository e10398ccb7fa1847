"""The client's HTTP side: the API's Parquet answers as Arrow tables, its errors as the same
exceptions a local read raises."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import requests

from pipelines.config import ParameterError

TIMEOUT_SECONDS = 300  # a whole year of 500 tickers is one answer


class RemoteError(RuntimeError):
    """The API could not answer (busy, down, or a server error); the message is its own."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HttpSource:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def _get(self, path: str, params: dict[str, Any]) -> requests.Response:
        url = self.base_url + path
        try:
            response = self.session.get(
                url, params={k: v for k, v in params.items() if v is not None},
                timeout=TIMEOUT_SECONDS,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise RemoteError(f"{url}: {type(exc).__name__}: {exc}", 0) from exc
        if response.status_code != 200:
            raise _error(url, response)
        return response

    def table(self, path: str, params: dict[str, Any]) -> pa.Table:
        """A bulk route's whole answer, as Parquet."""
        response = self._get(path, {**params, "format": "parquet"})
        return pq.read_table(io.BytesIO(response.content))

    def json(self, path: str) -> Any:
        return self._get(path, {}).json()

    def close(self) -> None:
        self.session.close()


def _error(url: str, response: requests.Response) -> Exception:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return RemoteError(f"{url}: HTTP {response.status_code}", response.status_code)
    if error.get("parameter") and 400 <= response.status_code < 500:
        return ParameterError(error["parameter"], error["message"], response.status_code)
    return RemoteError(f"{url}: {error['message']}", response.status_code)
