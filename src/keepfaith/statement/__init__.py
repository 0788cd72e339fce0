"""The statement: a company's privacy promises as a declaration.

``load`` reads and validates a file; the other modules check its meaning, render it
for people, and compare two versions.
"""

from keepfaith.statement.check import Finding, check, check_file
from keepfaith.statement.load import load, loads
from keepfaith.statement.render import render_html, render_markdown
from keepfaith.statement.schema import Statement

__all__ = [
    "Finding",
    "Statement",
    "check",
    "check_file",
    "load",
    "loads",
    "render_html",
    "render_markdown",
]
