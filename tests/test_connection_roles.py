"""Connection roles end to end: migrations need a session, TLS is honoured or start-up stops.

Runs the service CLI against Debian's PgBouncer: in transaction mode (as Supabase's port
6543), and offering TLS with a certificate from a throw-away CA (as Supabase does with its own
CA), so `sslmode=verify-full` with `sslrootcert` is exercised for real.
"""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack import pooler
from service.app import create_app
from service.database import connect_checks
from service.settings import Settings
from tests.commands import run_service


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_service(*args, env=env)


def test_migrations_through_a_transaction_pooler_are_refused_naming_the_session_url(
    repo_env: dict[str, str], pgbouncer: pooler.PgBouncer, database_url: str
) -> None:
    env = {**repo_env, "DATABASE_URL": pgbouncer.url(database_url), "DB_POOL_MODE": "transaction"}
    refused = _cli(env, "migrate")
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("configuration error: migrations need a session-capable connection")
    assert "DATABASE_SESSION_URL" in line
    allowed = _cli({**env, "DATABASE_SESSION_URL": database_url}, "migrate")
    assert (allowed.returncode, allowed.stdout.strip()) == (0, "up to date"), allowed.stderr


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(directory: Path, name: str) -> tuple[Path, ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{name}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


@pytest.fixture(scope="module")
def tls_pooler(
    pg_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[pooler.PgBouncer, Path, Path]]:
    """A session-mode PgBouncer offering TLS for 127.0.0.1; the right CA and a wrong one."""
    directory = tmp_path_factory.mktemp("tls")
    ca_path, ca_key, ca_cert = _ca(directory, "test-root-ca")
    wrong_ca, _, _ = _ca(directory, "some-other-ca")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    bouncer = pooler.start_pgbouncer(pg_server, pool_mode="session", tls_cert=(cert_path, key_path))
    yield bouncer, ca_path, wrong_ca
    bouncer.stop()


def test_verify_full_with_the_servers_ca_file_connects(
    repo_env: dict[str, str],
    tls_pooler: tuple[pooler.PgBouncer, Path, Path],
    database_url: str,
) -> None:
    bouncer, ca, _ = tls_pooler
    url = bouncer.url(database_url, sslmode="verify-full", sslrootcert=str(ca))
    result = _cli({**repo_env, "DATABASE_URL": url, "DB_POOL_MODE": "session"}, "migrate")
    assert (result.returncode, result.stdout.strip()) == (0, "up to date"), result.stderr


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("wrong CA", "certificate verify failed"),
        ("server without TLS", "server does not support SSL"),
    ],
)
def test_tls_required_and_failing_stops_start_up_with_one_clear_line(
    repo_env: dict[str, str],
    tls_pooler: tuple[pooler.PgBouncer, Path, Path],
    pgbouncer: pooler.PgBouncer,
    database_url: str,
    case: str,
    fragment: str,
) -> None:
    tls_bouncer, _, wrong_ca = tls_pooler
    if case == "wrong CA":
        url = tls_bouncer.url(database_url, sslmode="verify-full", sslrootcert=str(wrong_ca))
    else:
        url = pgbouncer.url(database_url, sslmode="require")
    env = {**repo_env, "DATABASE_URL": url, "DB_POOL_MODE": "session"}
    for command in (["migrate"], ["worker", "--no-reconcile"]):
        result = _cli(env, *command)
        assert result.returncode == 2, (command, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("configuration error: cannot connect to 127.0.0.1:")
        assert "(DATABASE_URL, sslmode=" in line and "TLS is required and failed" in line
        assert fragment in line and "prod-ca-2021.crt" in line


async def test_the_asgi_app_refuses_to_start_when_tls_fails(
    pgbouncer: pooler.PgBouncer, database_url: str
) -> None:
    """`uvicorn service.app:app` (the Procfile's web process) stops at start-up, too."""
    settings = Settings(
        app_env="test",
        database_url=pgbouncer.url(database_url, sslmode="require"),
        db_pool_mode="transaction",
    )
    app = create_app(settings)
    with pytest.raises(connect_checks.TlsFailure, match="TLS is required and failed"):
        async with app.router.lifespan_context(app):
            pass
