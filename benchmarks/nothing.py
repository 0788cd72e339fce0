"""A do-nothing FastAPI endpoint: the ceiling ``benchmarks/http.py`` measures keepfaith
against, served by uvicorn with the settings ``keepfaith serve`` uses.

The handler is a plain ``def`` taking a JSON body, like keepfaith's consent endpoint, so
it pays the same thread-pool hand-off and body parsing, and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI

app = FastAPI()


@app.post("/nothing")
def nothing(body: dict[str, Any] = Body()) -> dict[str, bool]:
    return {"ok": True}
