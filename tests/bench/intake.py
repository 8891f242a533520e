"""`intake`: submissions to /report/ at 20 per second for 60 s against a local gunicorn, and the
weight of the report page.

The server is the production configuration (config/gunicorn.py, DEBUG off, compressed static
files), on 127.0.0.1 only, with its own secret key and the bench's key ring. The database is
PostgreSQL when AMPARO_DATABASE_URL named one when `make bench` started (the database must be
empty or hold an earlier bench run; the bench adds its organisation and vocabularies), otherwise
a scratch SQLite file.

Load is open-loop: a submission starts every 1/RATE seconds whatever the previous ones are doing,
so a slow server shows up as latency rather than as a lower rate. Each submission fetches the form
(for its token) and then posts it; the figure is the latency of the POST alone, which carries the
whole cost of a report: validation, Argon2id of the receipt, encryption, image re-encoding and the
transaction. One in five carries a 1.2-megapixel photo with camera metadata, the rest only
text. The posts carry no proof of work, and the budget of forms without it is raised for the run:
the bench measures the server's work, not the budget (which would refuse most of them by design).
"""

from __future__ import annotations

import http.client
import io
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.bench import Figures, benchmark

RATE = 20
SECONDS = 60
PHOTO_EVERY = 5
REPOSITORY = Path(__file__).resolve().parents[2]
ORGANISATION = "BENCH-NHRI"
ANSWERS: dict[str, Any] = {
    "what_happened": (
        "Three men in plain clothes waited outside the community radio after the evening "
        "programme about the land dispute, photographed the presenters and told them that "
        "the next programme would be their last. The same car was seen the next morning."
    ),
    "when_year": "2026",
    "when_month": "2",
    "country": "KE",
    "region": "Nakuru",
    "target": "someone_else",
    "defender_types": ["journalist", "environmental"],
    "acts": ["threat_death", "surveillance_physical"],
    "perpetrator": "Men in plain clothes, a grey car without plates",
    "danger": "unsure",
    "contact_method": "follow_up",
    "consent_partner": "on",
}


def _photo() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "BenchCamera"
    exif[0x8825] = {1: "S", 2: (0.0, 17.0, 0.0)}
    image = Image.radial_gradient("L").resize((1280, 960)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def _server_environment(scratch: Path, database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "AMPARO_SECRET_KEY": secrets.token_urlsafe(50),
        "AMPARO_KEY_FILE": str(scratch / "server-keyring.json"),
        "AMPARO_ALLOWED_HOSTS": "127.0.0.1",
        "AMPARO_EMAIL_URL": "memory://",
        "AMPARO_DATABASE_URL": database_url,
        "AMPARO_VAR_DIR": str(scratch),
        "AMPARO_INTAKE_ORGANISATION": ORGANISATION,
        "AMPARO_INTAKE_RATE_LIMITS": "submit_without_pow=1000000/60",
    }


def _amparo(environment: dict[str, str], *arguments: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "amparo.cli", *arguments],
        cwd=REPOSITORY,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _prepare(environment: dict[str, str]) -> None:
    _amparo(environment, "keys", "generate", "--if-missing")
    _amparo(environment, "migrate", "--no-input")
    _amparo(environment, "vocab", "load")
    _amparo(environment, "collectstatic", "--no-input")
    _amparo(
        environment,
        "shell",
        "-c",
        "from amparo.core.models import Organisation as O; "
        f"O.objects.get_or_create(short_code={ORGANISATION!r}, defaults=dict("
        "name='Bench Human Rights Commission', kind='nhri', country='KE'))",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=REPOSITORY,
        env={**environment, "AMPARO_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before it was ready")
        try:
            _get(port, "/report/")
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("gunicorn did not answer within 60 s")


# The server runs with the production settings, which redirect plain HTTP to HTTPS; it trusts
# this header from 127.0.0.1 (gunicorn's forwarded_allow_ips) as from the TLS proxy in front.
THROUGH_TLS_PROXY = {"X-Forwarded-Proto": "https"}


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, int]:
    """Status, body and the size of the response as transferred (status line, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={**THROUGH_TLS_PROXY, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
            len(f"{name}: {value}\r\n") for name, value in response.getheaders()
        )
        return response.status, body, head + 2 + len(body)
    finally:
        connection.close()


def _multipart(fields: dict[str, Any], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    for filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _submit(port: int, photo: bytes | None) -> tuple[float, int]:
    status, page, _size = _get(port, "/report/")
    match = re.search(rb'name="token" value="([^"]+)"', page)
    if status != 200 or match is None:
        return 0.0, status
    fields = {**ANSWERS, "token": match.group(1).decode()}
    body, content_type = _multipart(fields, [("IMG_0042.JPG", photo)] if photo else [])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request(
            "POST",
            "/report/",
            body=body,
            headers={
                **THROUGH_TLS_PROXY,
                "Content-Type": content_type,
                "Origin": f"https://127.0.0.1:{port}",
                "Referer": f"https://127.0.0.1:{port}/report/",
            },
        )
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    ok = response.status == 200 and b'class="receipt"' in answer
    return elapsed, 200 if ok else response.status


def _page_weight(port: int, language: str) -> dict[str, int]:
    headers = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": language}
    _status, html, html_size = _get(port, f"/report/?lang={language}", headers)
    weights = {"html": html_size}
    for kind, pattern in (
        ("css", rb'href="(/static/[^"]+\.css)"'),
        ("js", rb'src="(/static/[^"]+\.js)"'),
    ):
        total = 0
        for path in re.findall(pattern, html):
            total += _get(port, path.decode(), headers)[2]
        weights[kind] = total
    weights["total"] = sum(weights.values())
    return weights


def _server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """Processor time used so far by the gunicorn workers (Linux /proc; 0 elsewhere)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if not children.exists():
        return 0.0
    total = 0
    for pid in children.read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime and stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    return {
        "count": len(latencies),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
    }


@benchmark("intake")
def run() -> Figures:
    scratch = Path(os.environ["AMPARO_VAR_DIR"]) / "intake-bench"
    scratch.mkdir(parents=True, exist_ok=True)
    requested = os.environ.get("AMPARO_BENCH_DATABASE_URL", "")
    postgres = requested.startswith(("postgres://", "postgresql://"))
    database_url = requested if postgres else f"sqlite:///{scratch / 'intake.sqlite3'}"
    environment = _server_environment(scratch, database_url)
    _prepare(environment)
    port = _free_port()
    server = _start(environment, port)
    try:
        weight = {language: _page_weight(port, language) for language in ("en", "ar")}
        photo = _photo()
        # One at a time first: what a submission costs when nothing else is going on.
        unloaded_get = []
        unloaded_post = []
        for _ in range(30):
            started = time.perf_counter()
            _get(port, "/report/")
            unloaded_get.append(time.perf_counter() - started)
            unloaded_post.append(_submit(port, None)[0])
        load_before = os.getloadavg()
        cpu_before = _server_cpu_seconds(server)
        results: list[tuple[bool, float, int]] = []
        lock = threading.Lock()

        def one(index: int) -> None:
            with_photo = index % PHOTO_EVERY == 0
            latency, status = _submit(port, photo if with_photo else None)
            with lock:
                results.append((with_photo, latency, status))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for index in range(RATE * SECONDS):
                delay = started + index / RATE - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, index)
            duration = time.perf_counter() - started
        load_after = os.getloadavg()
        cpu_used = _server_cpu_seconds(server) - cpu_before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    succeeded = [(photo, latency) for photo, latency, status in results if status == 200]
    failures: dict[str, int] = {}
    for _photo_, _latency, status in results:
        if status != 200:
            failures[str(status)] = failures.get(str(status), 0) + 1
    return {
        "database": "postgresql" if postgres else "sqlite",
        "server": "gunicorn (config/gunicorn.py), "
        f"{os.environ.get('AMPARO_WORKERS') or (os.cpu_count() or 1) + 1} workers x 4 threads",
        "target_rate_per_s": RATE,
        "seconds": SECONDS,
        "submissions": len(results),
        "achieved_rate_per_s": round(len(results) / duration, 2),
        "failed": failures,
        "latency_all": _summary([latency for _photo_, latency in succeeded]),
        "latency_text_only": _summary([latency for has, latency in succeeded if not has]),
        "latency_with_photo": _summary([latency for has, latency in succeeded if has]),
        # The workers' processor time per submission (form and post; the database's is apart).
        "server_cpu_ms_per_submission": round(cpu_used * 1000 / max(1, len(results)), 1),
        "unloaded_get_report_ms_p50": round(statistics.median(unloaded_get) * 1000, 1),
        "unloaded_submission_ms_p50": round(statistics.median(unloaded_post) * 1000, 1),
        # Other work on the machine competes for the same processors: read the figures with it.
        "load_average_1min_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "cpus": os.cpu_count(),
        "photo_bytes": len(photo),
        "report_page_bytes_transferred": weight,
        "report_page_limit_bytes": 50_000,
    }
