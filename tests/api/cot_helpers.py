"""The CoT gateway in a thread of its own, certificates made at test time, and pytak 7.6.1 as
the real TAK client (bounded: every session ends after a fixed number of seconds)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from configparser import ConfigParser
from contextlib import contextmanager, suppress
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ceasefire.api.state import HQState
from ceasefire.interop.cot_server import CotGateway, GatewayConfig

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pytak warns that aiohttp (enrolment) is not installed
    import pytak


@contextmanager
def running(state: HQState, config: GatewayConfig) -> Iterator[tuple[CotGateway, dict[str, int]]]:
    """The gateway on its own event loop in a thread; yields it and its bound ports."""
    loop = asyncio.new_event_loop()
    gateway = CotGateway(state, config)
    ports = loop.run_until_complete(gateway.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield gateway, ports
    finally:
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(folder: Path, name: str, cert: x509.Certificate, key: Any) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Pki:
    """A CA, a server certificate for localhost, and client certificates by CN."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca_key = _key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ceasefire test CA")])
        now = dt.datetime.now(dt.UTC)
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_path = folder / "ca.pem"
        self.ca_path.write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))
        self.server = self.issue("localhost", server=True)

    def issue(self, cn: str, *, server: bool = False, ca: Any = None) -> tuple[Path, Path]:
        """A certificate for ``cn`` signed by this CA (or another one's ``(cert, key)``)."""
        key = _key()
        issuer_cert, issuer_key = ca or (self.ca, self.ca_key)
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        cert = builder.sign(issuer_key, hashes.SHA256())
        return _write(self.folder, f"{cn}-{x509.random_serial_number()}", cert, key)

    def config(self, **kwargs: Any) -> GatewayConfig:
        return GatewayConfig(
            cert=self.server[0], key=self.server[1], ca=self.ca_path, tls_port=0, **kwargs
        )

    def pytak_tls(self, cn: str) -> dict[str, str]:
        cert, key = self.issue(cn)
        return {
            "PYTAK_TLS_CLIENT_CERT": str(cert),
            "PYTAK_TLS_CLIENT_KEY": str(key),
            "PYTAK_TLS_CLIENT_CAFILE": str(self.ca_path),
            "PYTAK_TLS_SERVER_EXPECTED_HOSTNAME": "localhost",
        }


async def pytak_session(
    url: str,
    send: Sequence[bytes],
    seconds: float,
    env: dict[str, str] | None = None,
    *,
    until: Callable[[], bool] | None = None,
    received: list[bytes] | None = None,
) -> list[bytes]:
    """Run a pytak client for ``seconds`` at most (until ``until()`` holds, if given): it
    sends ``send`` (after its takPing hello) and collects every event it receives (into
    ``received``, if given, so that other sessions' ``until`` may look at it)."""
    parser = ConfigParser()
    parser["t"] = {"COT_URL": url, **(env or {})}
    config = parser["t"]
    cli = pytak.CLITool(config)
    await cli.setup()
    got: list[bytes] = [] if received is None else received

    class Sender(pytak.QueueWorker):  # type: ignore[misc]
        async def run(self, _: int = -1) -> None:
            for event in send:
                await self.put_queue(event)
            await asyncio.sleep(3600)

    class Receiver(pytak.QueueWorker):  # type: ignore[misc]
        async def run(self, _: int = -1) -> None:
            while True:
                got.append(await self.queue.get())

    async def watch() -> None:
        while until is None or not until():
            await asyncio.sleep(0.1)

    cli.add_tasks({Sender(cli.tx_queue, config), Receiver(cli.rx_queue, config)})
    run = asyncio.ensure_future(cli.run())
    watcher = asyncio.ensure_future(watch())
    await asyncio.wait({run, watcher}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in (run, watcher):
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
    return got


def observation(
    uid: str,
    *,
    cot_type: str = "b-r-h-O-V-B",
    lat: float = 48.0,
    lon: float = 37.45,
    ce: float = 50.0,
    callsign: str = "ALPHA-1",
    access: str | None = None,
    relto: str | None = None,
) -> bytes:
    """An observation as pytak builds it (``rel_to`` attribute, 6-digit fractions)."""
    event = pytak.cot_event(
        lat=lat,
        lon=lon,
        ce=ce,
        hae=100,
        le=10,
        uid=uid,
        stale=600,
        cot_type=cot_type,
        how="h-e",
        callsign=callsign,
        access=access,
        relto=relto,
    )
    data: bytes = pytak.serialize_cot(event)
    return data
