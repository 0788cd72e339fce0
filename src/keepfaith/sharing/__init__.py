"""Sharing: what leaves the company, decided by the engine and recorded here.

- ``disclose``: a disclosure to a declared recipient, projected to the categories it may
  receive (the drop recorded), a transfer abroad with its country and mechanism.
- ``legal``: legal requests (court orders, authorities, abuse reports, disputes) on the
  statement's declared bases, with their document reference and gag period.
- ``log``: the disclosure log per person and per recipient.
- ``ropa``: the records of processing (GDPR Article 30), as CSV and HTML.
- ``story``: one person's whole story from the audit chain, with the clause of each step.
"""

from keepfaith.sharing.disclose import Disclosed, disclose, disclose_anonymous
from keepfaith.sharing.legal import KINDS, Answered, answer, send_notices
from keepfaith.sharing.log import of_person, of_recipient, recipients, told_to_person
from keepfaith.sharing.ropa import Register, csv_text, html_text, register
from keepfaith.sharing.story import Step, story

__all__ = [
    "KINDS",
    "Answered",
    "Disclosed",
    "Register",
    "Step",
    "answer",
    "csv_text",
    "disclose",
    "disclose_anonymous",
    "html_text",
    "of_person",
    "of_recipient",
    "recipients",
    "register",
    "send_notices",
    "story",
    "told_to_person",
]
