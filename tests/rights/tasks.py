"""A worker-side hook for the kill test: the first erasure of chinook's ``Customer`` rows
says so and hangs, inside the company database's transaction, to be killed there."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

MODULE = __name__
MARKER = "KEEPFAITH_TEST_ERASURE_MARKER"


@sa.event.listens_for(sa.Engine, "before_cursor_execute")
def _pause(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    marker = os.environ.get(MARKER)
    if marker and statement.startswith('DELETE FROM "Customer"') and not Path(marker).exists():
        Path(marker).write_text("mid-erasure\n", encoding="utf-8")
        time.sleep(120)
