"""Signed privacy-center links and sessions: only the subject id, tamper- and age-proof."""

from __future__ import annotations

import base64
import json
import time

import pytest

from keepfaith import AccessDenied, ConfigurationError
from keepfaith.collect.links import (
    link_token,
    read_link_token,
    read_session_token,
    session_token,
)
from tests.collect.conftest import SECRET


def test_a_link_names_its_subject_and_nothing_else() -> None:
    token = link_token(SECRET, "acme", "42")
    assert read_link_token(SECRET, "acme", token) == "42"
    payload = token.split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded == ["acme", "42"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: link_token("another secret key entirely", "acme", "42"),
        lambda t: link_token(SECRET, "other", "42"),
        lambda t: session_token(SECRET, "acme", "42"),  # a session is not a link
        lambda t: "not a token",
    ],
)
def test_forged_altered_or_foreign_tokens_are_refused(mangle: object) -> None:
    token = link_token(SECRET, "acme", "42")
    with pytest.raises(AccessDenied, match="not valid"):
        read_link_token(SECRET, "acme", mangle(token))  # type: ignore[operator]


def test_an_expired_link_is_refused() -> None:
    token = link_token(SECRET, "acme", "42")
    time.sleep(1.1)
    with pytest.raises(AccessDenied, match="expired"):
        read_link_token(SECRET, "acme", token, max_age=0)


def test_sessions_round_trip_and_need_a_secret() -> None:
    assert read_session_token(SECRET, "acme", session_token(SECRET, "acme", "7")) == "7"
    with pytest.raises(ConfigurationError):
        link_token("", "acme", "7")
