"""`python -m devstack <command>`: a `mux-lessons` command against the development database.

`make serve`, `make migrate` and `make worker` use it. DATABASE_URL when it is set (in the
environment or `.env`); else the
embedded PostgreSQL in `.pgdata/` (the `pgserver` wheel, a dev dependency), started here and
stopped when this process exits. The installed service never does this: without DATABASE_URL
it names the missing setting and stops.
"""

from __future__ import annotations

import os
import sys

from dotenv import dotenv_values

from devstack import postgres
from service.cli import main as service_main


def main(argv: list[str]) -> int:
    configured = os.environ.get("DATABASE_URL") or dotenv_values(".env").get("DATABASE_URL")
    if not (configured or "").strip():
        os.environ["DATABASE_URL"] = postgres.embedded_server_url()
        os.environ["DB_POOL_MODE"] = "direct"
        os.environ.pop("DATABASE_SESSION_URL", None)
    return service_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
