"""What the borrower's page shows in *How we contact you* (issue 21), as notification knows it: the
jurisdiction's legal window (the quiet hours it never contacts in, and the half hours a borrower
may choose preferred hours from), the channels the jurisdiction lets a borrower choose among, the
channels on file (addresses masked), upstream's opt-outs and do-not-contact, what the borrower
chose on the page before, and whether a change code would reach them now. The legal-window rule
stays here (domain/contact_rules.py): the page offers only what this answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time

from notification.application.deciding import borrower_of
from notification.application.ports import Notifying
from notification.domain.contact_hours import legal_slots
from notification.domain.contact_rules import History, Message, Outcome, decide
from notification.domain.masking import masked_address
from notification.domain.messages import PagePreferences
from tideover_contracts.common import Channel, Jurisdiction
from tideover_contracts.events.notifications import Purpose


@dataclass(frozen=True)
class ContactChoices:
    loan_id: uuid.UUID
    jurisdiction: Jurisdiction
    time_zone: str
    quiet_from: time
    quiet_until: time
    slots: tuple[time, ...]
    allowed_channels: tuple[Channel, ...]
    on_file: tuple[tuple[Channel, str], ...]  # each channel with an address, the address masked
    upstream_opted_out: tuple[Channel, ...]
    do_not_contact: bool
    chosen: PagePreferences | None
    #: Whether a change code asked for now would be sent (do-not-contact and an SMS opt-out upstream stop it).
    code_reaches: bool


async def contact_choices(notifying: Notifying, loan_id: uuid.UUID, now: datetime) -> ContactChoices | None:
    """None when the loan's contact is not known here."""
    store = notifying.store
    contact = (await store.contacts({loan_id})).get(loan_id)
    if contact is None:
        return None
    chosen = (await store.page_preferences({loan_id})).get(loan_id)
    profile = notifying.profiles[contact.jurisdiction]
    borrower = borrower_of(contact, chosen)
    code = decide(Message(Purpose.CHANGE_CODE, now), borrower, History(), now, plan_active=False, profile=profile)
    on_file = tuple((c, masked_address(c, address)) for c in Channel if c in profile.channels and (address := contact.address(c)))
    return ContactChoices(
        loan_id=loan_id,
        jurisdiction=contact.jurisdiction,
        time_zone=contact.time_zone,
        quiet_from=profile.quiet_from,
        quiet_until=profile.quiet_until,
        slots=legal_slots(profile),
        allowed_channels=tuple(c for c in Channel if c in profile.channels),
        on_file=on_file,
        upstream_opted_out=tuple(contact.opted_out_channels),
        do_not_contact=contact.do_not_contact,
        chosen=chosen,
        code_reaches=code.outcome is not Outcome.SUPPRESS,
    )
