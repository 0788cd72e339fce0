"""keepfaith's web service: the statement, collection points, privacy center, admin.

``create_app(settings)`` builds the ASGI app; ``prepare(settings)`` migrates the ledger
and publishes the statements first. Nothing below ``keepfaith.web`` knows about HTTP.
"""

from keepfaith.web.app import create_app, prepare

__all__ = ["create_app", "prepare"]
