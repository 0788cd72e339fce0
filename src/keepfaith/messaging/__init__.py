"""Messaging: every message leaves through the outbox, and the engine sees every send.

To send a person a message, inside the unit of work that needs it::

    from keepfaith import messaging

    with ledger.transaction(actor="rights") as tx:
        messaging.queue(tx, subject, "respond_to_requests", "notice",
                        context={"title": "We received your request", "text": "..."})
        messaging.send_to_address(tx, "acme", address_given, "respond_to_requests",
                                  "verification", context={"code": "482 113"})

``queue`` asks the engine for that person now and refuses (``NotAllowed``) what it
refuses; ``send_to_address`` serves a transactional purpose for an address that belongs
to no subject yet. Both write the outbox row, its decision and the job that sends it in
the caller's transaction. The job (``messaging.send``) decides again just before
sending, then hands the message to the relay (``keepfaith.messaging.smtp``, the only SMTP
client in keepfaith) exactly once.

The modules: ``outbox`` (queueing), ``delivery`` (the send job), ``smtp`` (the client),
``compose`` (headers, DKIM), ``templates`` (Jinja2 per tenant), ``links`` (the tokens a
message carries), ``addresses`` (checks and keyed hashes), ``unsubscribe`` (one-click
and by reply), ``listen`` (``keepfaith mail listen``), ``campaigns`` (the engine's
audience in batches), ``values`` (what a template gets at send time from the capability
that queued it) and ``referrals`` (addresses given by someone else). See
docs/messaging.md.
"""

from keepfaith.ledger.messages import Campaign, Message
from keepfaith.messaging.campaigns import start as start_campaign
from keepfaith.messaging.outbox import queue, send_to_address
from keepfaith.messaging.referrals import email_page, refer

__all__ = [
    "Campaign",
    "Message",
    "email_page",
    "queue",
    "refer",
    "send_to_address",
    "start_campaign",
]
