"""What operators list: a table's newest rows, all of them or only those in one state (the
inbox's events, the cleanup outbox's rows), for `mux-lessons events list`, `cleanups list`
and the status page. One query for every such table; each names its own in a `StateListing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.database.pool import Database


@dataclass(frozen=True)
class StateListing:
    """`public.<table>`'s `columns`, newest first by `order`; its `state` column is of the enum
    `public.<state_type>`, which refuses a state that does not exist. Names come from the code,
    never from a caller."""

    table: str
    columns: str
    state_type: str
    order: str

    async def __call__(
        self, db: Database, *, state: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The first `limit` rows, only those in `state` when it is given."""
        return await db.call_all(
            f"select {self.columns} from public.{self.table} "
            f"where %(state)s::public.{self.state_type} is null or state = %(state)s "
            f"order by {self.order} limit %(limit)s",
            {"state": state, "limit": limit},
        )
