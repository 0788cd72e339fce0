"""User agents reduced to what statistics keep: browser, OS, device class, bot or not.

The full user-agent string is looked at only here and never stored; what is kept is a
browser family with its major version, an OS family and a device class, which many
people share. ua-parser is slow per string (about a millisecond), so results are cached
per distinct string; a log repeats a few thousand agents millions of times, and a batch
of lines classifies only the agents it has not met before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ua_parser import parse as parse_agent

_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|curl|wget|python|java/|libwww|httpclient|feed|rss"
    r"|monitor|scan|fetch|http_request|go-http|okhttp|ruby|perl|php/|headless|preview"
    r"|archiver|facebookexternalhit|validator|check|pingdom|nagios|zgrab|scrapy",
    re.IGNORECASE,
)
_MOBILE_OS = frozenset(
    {"iOS", "Android", "Windows Phone", "BlackBerry OS", "Symbian OS", "Firefox OS", "KaiOS"}
)
_DESKTOP_OS = frozenset(
    {
        "Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "FreeBSD", "OpenBSD",
        "Fedora", "Debian", "Mac OS", "macOS", "NetBSD", "Solaris", "Mint", "Red Hat",
        "SUSE", "Gentoo", "Slackware",
    }
)  # fmt: skip
_TABLET = re.compile(r"ipad|tablet|kindle|silk|nexus (7|9|10)|playbook|sm-t\d", re.IGNORECASE)
_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Agent:
    """What statistics keep of a user agent."""

    browser: str
    """Family and major version, ``Chrome 32``; ``Other`` when unknown."""
    os: str
    """OS family, ``Windows``; ``Other`` when unknown."""
    device: str
    """``desktop``, ``mobile``, ``tablet``, ``bot`` or ``other``."""
    bot: bool


def classify(agent: str) -> Agent:
    """Reduce a user-agent string to browser, OS, device class and whether it is a bot."""
    if agent in ("", "-"):
        return Agent("(none)", "Other", "bot", True)
    result = parse_agent(agent)
    family = result.user_agent.family if result.user_agent else "Other"
    major = result.user_agent.major if result.user_agent else None
    browser = f"{family} {major}" if major else family
    os = result.os.family if result.os else "Other"
    device_family = result.device.family if result.device else ""
    if device_family == "Spider" or _BOT.search(agent):
        return Agent(browser, os, "bot", True)
    if _TABLET.search(agent) or (os == "Android" and "Mobile" not in agent):
        device = "tablet"
    elif os in _MOBILE_OS or "Mobi" in agent:
        device = "mobile"
    elif os in _DESKTOP_OS:
        device = "desktop"
    else:
        device = "other"
    return Agent(browser, os, device, False)


class Agents:
    """A cache of ``classify`` by user-agent string, bounded in size.

    One per process (``Agents.shared()``): every ingestion in it reuses what earlier
    ones classified. The strings stay in memory only.
    """

    _shared: Agents | None = None

    def __init__(self) -> None:
        self.known: dict[str, Agent] = {}

    @classmethod
    def shared(cls) -> Agents:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def of(self, raw: str) -> Agent:
        """``classify(raw)``, from the cache when it was classified before."""
        agent = self.known.get(raw)
        if agent is None:
            if len(self.known) >= _CACHE_LIMIT:
                self.known.clear()
            agent = self.known[raw] = classify(raw)
        return agent
