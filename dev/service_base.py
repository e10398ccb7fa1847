"""What the development services share: where they keep their data, their ports, the
credentials generated once per services folder, and the environment clients get."""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from dev.postgres_dir import ServiceError

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "data" / "services"

PG_PORT = int(os.environ.get("MARKETFLOW_SERVICES_PG_PORT", "55432"))
S3_PORT = int(os.environ.get("MARKETFLOW_SERVICES_S3_PORT", "18333"))
# SeaweedFS opens each port below plus the same + 10000 for gRPC.
WEED_PORTS = {"master": 19333, "volume": 18080, "filer": 18888, "admin": 23646}
BUCKETS = ("marketflow-raw", "marketflow-test")

APP_USER, READER_USER = "marketflow", "marketflow_reader"
APP_DB, STATE_DB = "marketflow", "marketflow_state"


@dataclass
class Credentials:
    """Generated once per services folder; never printed."""

    pg_superuser_password: str
    pg_app_password: str
    pg_reader_password: str
    s3_access_key: str
    s3_secret_key: str

    @classmethod
    def load_or_create(cls, folder: Path) -> Credentials:
        path = folder / "credentials.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        folder.mkdir(parents=True, exist_ok=True)
        creds = cls(*(secrets.token_hex(16) for _ in range(4)), secrets.token_hex(20))
        path.write_text(json.dumps(asdict(creds)))
        path.chmod(0o600)
        return creds


def environment(creds: Credentials) -> dict[str, str]:
    """What clients need: MarketFlow's PostgreSQL gateway and the raw store's S3 settings."""
    return {
        "MARKETFLOW_PG_HOST": "127.0.0.1",
        "MARKETFLOW_PG_PORT": str(PG_PORT),
        "MARKETFLOW_PG_USER": APP_USER,
        "MARKETFLOW_PG_PASSWORD": creds.pg_app_password,
        "MARKETFLOW_PG_DATABASE": APP_DB,
        "MARKETFLOW_PG_STATE_DATABASE": STATE_DB,
        "MARKETFLOW_PG_READER_USER": READER_USER,
        "MARKETFLOW_PG_READER_PASSWORD": creds.pg_reader_password,
        "RAW_STORE__CREDENTIALS__AWS_ACCESS_KEY_ID": creds.s3_access_key,
        "RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY": creds.s3_secret_key,
        "RAW_STORE__CREDENTIALS__ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}",
        "RAW_STORE__CREDENTIALS__REGION_NAME": "us-east-1",
    }


def superuser_dsn(creds: Credentials, database: str = "postgres") -> str:
    return f"postgresql://postgres:{creds.pg_superuser_password}@127.0.0.1:{PG_PORT}/{database}"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise ServiceError(f"{what} did not become ready within {timeout:.0f}s")
