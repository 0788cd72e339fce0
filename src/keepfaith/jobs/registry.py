"""Tasks: what a job runs, found by name, with how often to retry and whether it repeats.

A task is a plain function ``f(context, **args)`` declared with ``@task("area.name")``
in the module of its concern. Workers know tasks by name: the modules in ``MODULES``
(and those a deployment lists in ``job_modules``) are imported when a worker starts,
so this package never imports the capabilities above it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keepfaith.exceptions import ConfigurationError

if TYPE_CHECKING:
    from keepfaith.ledger import Ledger
    from keepfaith.settings import Settings

MODULES: tuple[str, ...] = (
    "keepfaith.jobs.builtin",
    "keepfaith.collect.logs.retention",
    "keepfaith.messaging.delivery",
    "keepfaith.rights.work",
    "keepfaith.rights.retention",
    "keepfaith.changes.notices",
    "keepfaith.changes.effective",
    "keepfaith.changes.transfer",
    "keepfaith.sharing.legal",
    "keepfaith.rights.complaints",
    "keepfaith.rights.reminders",
)
"""Modules whose tasks every worker runs. Add a concern's module with one line."""


@dataclass(frozen=True)
class Context:
    """What a running job gets besides its arguments."""

    ledger: Ledger
    settings: Settings
    job_id: int
    attempt: int
    """1 on the first run, 2 on the first retry, and so on."""


@dataclass(frozen=True)
class Task:
    """A named piece of background work.

    ``attempts`` runs at most (then the job is dead, with the last reason); between
    them a wait of ``backoff`` ** n seconds after the n-th failure. ``every`` makes the
    task periodic: seconds between runs, or a function of the settings that gives them.
    """

    name: str
    function: Callable[..., None]
    attempts: int = 5
    backoff: int = 2
    every: int | Callable[[Settings], int] | None = None

    def __call__(self, context: Context, **args: Any) -> None:
        self.function(context, **args)

    def period(self, settings: Settings) -> int | None:
        """Seconds between runs of a periodic task under these settings; ``None`` if not."""
        return self.every(settings) if callable(self.every) else self.every


TASKS: dict[str, Task] = {}
"""Every task declared so far, by name."""


def task(
    name: str,
    *,
    attempts: int = 5,
    backoff: int = 2,
    every: int | Callable[[Settings], int] | None = None,
) -> Callable[[Callable[..., None]], Task]:
    """Declare a task: ``@task("logs.retention", every=86400)`` over ``f(context, **args)``."""
    if attempts < 1:
        raise ConfigurationError(f"task {name!r}: attempts must be at least 1")

    def declare(function: Callable[..., None]) -> Task:
        declared = Task(name, function, attempts, backoff, every)
        existing = TASKS.get(name)
        if existing is not None and existing.function is not function:
            raise ConfigurationError(f"two tasks are named {name!r}")
        TASKS[name] = declared
        return declared

    return declare


def load(extra: Iterable[str] = ()) -> dict[str, Task]:
    """Import the modules that declare tasks (``MODULES`` and ``extra``); every task."""
    for module in (*MODULES, *extra):
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise ConfigurationError(f"job module {module!r} cannot be imported: {error}") from None
    return dict(TASKS)
