"""The CRM domain model: leads, contacts, accounts, opportunities, activities, notes and sellers.

Records are validated, frozen pydantic models that round-trip through JSON. Change one with
:meth:`~leadqual._base.LeadqualModel.replace`, which validates the result. Times are stored in UTC
(naive input is read as UTC). Email addresses are kept as given: judging them is the job of
:class:`leadqual.EmailValidator`, and a CRM holds bad ones that a model must still be able to load.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead
    >>> lead = Lead(id="L-1", first_name="Ada", last_name="Lovelace",
    ...             company_name="Analytical Ltd", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    >>> lead.full_name
    'Ada Lovelace'
    >>> Lead.model_validate_json(lead.model_dump_json()) == lead
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal, Self, TypeVar

from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel, UtcDatetime

__all__ = [
    "Account",
    "Activity",
    "Address",
    "Appointment",
    "AttachmentMeta",
    "ChatMessage",
    "Contact",
    "CustomValue",
    "EmailMessage",
    "Lead",
    "LeadContext",
    "LeadStatus",
    "Note",
    "Opportunity",
    "OpportunityStatus",
    "Phone",
    "PhoneCall",
    "RecordKind",
    "RecordRef",
    "Seller",
    "Task",
]

CustomValue = str | int | float | bool | None
"""The value of a custom CRM field: scalars only, so records stay tabular and JSON-safe."""

NonEmptyStr = Annotated[str, Field(min_length=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
CustomFields = Mapping[str, CustomValue]
RecordKind = Literal["lead", "contact", "account", "opportunity"]
Direction = Literal["inbound", "outbound"]


class _Record(LeadqualModel):
    model_config = ConfigDict(frozen=True)


class Address(_Record):
    """A postal address; every part optional because CRM data is rarely complete."""

    street: str | None = None
    city: str | None = None
    state: str | None = None
    """State, province or region, as written (normalised by the ICP location matcher)."""
    postal_code: str | None = None
    country: str | None = None
    """Country name or ISO code, as written."""


class Phone(_Record):
    """A phone number as written in the CRM, with its kind."""

    number: NonEmptyStr
    kind: Literal["business", "mobile", "home", "other"] = "business"


class RecordRef(_Record):
    """A typed reference to another record (the CRM's "regarding" link)."""

    kind: RecordKind
    id: NonEmptyStr


class LeadStatus(StrEnum):
    """Lifecycle state of a lead."""

    OPEN = "open"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class OpportunityStatus(StrEnum):
    """Lifecycle state of an opportunity."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class _Stamped(_Record):
    """A record the CRM stamps when it is created and last modified, in that order."""

    if TYPE_CHECKING:
        # Each record declares both itself, so that they keep their place in its field order
        # (a base class's fields come first).
        created_at: datetime
        modified_at: datetime | None

    # Runs before a subclass's own model validators, so this problem is the one reported first.
    @model_validator(mode="after")
    def _modified_after_created(self) -> Self:
        if self.modified_at is not None and self.modified_at < self.created_at:
            raise ValueError("modified_at is earlier than created_at")
        return self


class _Person(_Record):
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    email: str | None = None
    """Primary email address, as written."""
    other_emails: tuple[str, ...] = ()
    """Secondary addresses (a CRM's emailaddress2/3); validators check these too."""
    phones: tuple[Phone, ...] = ()
    address: Address | None = None

    @property
    def full_name(self) -> str:
        """First and last name joined, or an empty string when neither is known."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def all_emails(self) -> tuple[str, ...]:
        """Every email address of the record, primary first, without repeats."""
        seen: dict[str, None] = {}
        for value in (self.email, *self.other_emails):
            if value:
                seen.setdefault(value, None)
        return tuple(seen)


class Lead(_Person, _Stamped):
    """A lead: a person and a company that may become a customer.

    ``topic`` is the CRM's subject line for the lead and ``need`` the stated need or pain; both feed
    the ICP's free-text matching. ``account_id`` and ``contact_id`` are the parent account and
    contact when the lead is linked to existing records.
    """

    id: NonEmptyStr
    company_name: str | None = None
    website: str | None = None
    industry: str | None = None
    employee_count: NonNegativeInt | None = None
    annual_revenue: NonNegativeFloat | None = None
    """Annual revenue in the organisation's base currency."""
    lead_source: str | None = None
    """Where the lead came from: "Web form", "Campaign", "Phone inquiry", "Trade show", ..."""
    campaign: str | None = None
    topic: str | None = None
    need: str | None = None
    description: str | None = None
    line_of_business: str | None = None
    """Segment used to pick the scoring model published for it."""
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None
    status: LeadStatus = LeadStatus.OPEN
    status_reason: str | None = None
    closed_at: UtcDatetime | None = None
    """When the lead was qualified or disqualified."""
    owner_id: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    custom_fields: CustomFields = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.status is LeadStatus.OPEN and self.closed_at is not None:
            raise ValueError("an open lead has no closed_at")
        if self.closed_at is not None and self.closed_at < self.created_at:
            raise ValueError("closed_at is earlier than created_at")
        return self

    @property
    def is_open(self) -> bool:
        """Whether the lead is still open."""
        return self.status is LeadStatus.OPEN

    @property
    def closed_on(self) -> datetime | None:
        """When the lead was closed: ``closed_at``, else ``modified_at`` for a closed lead."""
        if self.is_open:
            return None
        return self.closed_at or self.modified_at


class Contact(_Person, _Stamped):
    """A person at an account."""

    id: NonEmptyStr
    account_id: str | None = None
    owner_id: str | None = None
    originating_lead_id: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None
    custom_fields: CustomFields = Field(default_factory=dict)


class Account(_Stamped):
    """A company the vendor has a relationship with."""

    id: NonEmptyStr
    name: NonEmptyStr
    website: str | None = None
    industry: str | None = None
    employee_count: NonNegativeInt | None = None
    annual_revenue: NonNegativeFloat | None = None
    phones: tuple[Phone, ...] = ()
    address: Address | None = None
    parent_account_id: str | None = None
    primary_contact_id: str | None = None
    owner_id: str | None = None
    originating_lead_id: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None
    custom_fields: CustomFields = Field(default_factory=dict)

    @model_validator(mode="after")
    def _not_own_parent(self) -> Self:
        if self.parent_account_id == self.id:
            raise ValueError("an account cannot be its own parent")
        return self


class Opportunity(_Stamped):
    """A potential deal with an account."""

    id: NonEmptyStr
    name: NonEmptyStr
    status: OpportunityStatus = OpportunityStatus.OPEN
    stage: str | None = None
    """Sales stage, e.g. "qualify", "develop", "propose", "close"."""
    estimated_value: NonNegativeFloat | None = None
    actual_value: NonNegativeFloat | None = None
    close_date: UtcDatetime | None = None
    """Expected close date while open; actual close date once won or lost."""
    account_id: str | None = None
    contact_id: str | None = None
    originating_lead_id: str | None = None
    owner_id: str | None = None
    line_of_business: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None
    custom_fields: CustomFields = Field(default_factory=dict)


class _Activity(_Record):
    id: NonEmptyStr
    regarding: RecordRef
    """The record this activity is about (lead, contact, account or opportunity)."""
    owner_id: str | None = None
    """The seller who owns the activity."""
    subject: str | None = None


class EmailMessage(_Activity):
    """An email sent to or received from a lead or contact.

    ``body`` is untrusted text written by someone outside the organisation: leadqual reads it as
    data and never as instructions.
    """

    kind: Literal["email"] = "email"
    direction: Direction
    from_address: NonEmptyStr
    to_addresses: tuple[str, ...] = ()
    cc_addresses: tuple[str, ...] = ()
    body: str = ""
    sent_at: UtcDatetime
    message_id: str | None = None
    in_reply_to: str | None = None
    """``message_id`` of the email this one answers."""

    @property
    def occurred_at(self) -> datetime:
        """When the email was sent."""
        return self.sent_at


class ChatMessage(_Activity):
    """A chat message, e.g. from the website's chat widget."""

    kind: Literal["chat"] = "chat"
    direction: Direction
    body: str = ""
    sent_at: UtcDatetime

    @property
    def occurred_at(self) -> datetime:
        """When the message was sent."""
        return self.sent_at


class Appointment(_Activity):
    """A meeting, past or upcoming."""

    kind: Literal["appointment"] = "appointment"
    start: UtcDatetime
    end: UtcDatetime
    attendees: tuple[str, ...] = ()
    """Attendee email addresses or record ids."""
    status: Literal["scheduled", "completed", "canceled"] = "scheduled"
    location: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("end is earlier than start")
        return self

    @property
    def occurred_at(self) -> datetime:
        """When the meeting starts."""
        return self.start


class PhoneCall(_Activity):
    """A phone call with a lead or contact; ``answered`` says whether anyone picked up."""

    kind: Literal["phone_call"] = "phone_call"
    direction: Direction
    answered: bool
    started_at: UtcDatetime
    duration_seconds: NonNegativeInt = 0
    phone_number: str | None = None
    description: str | None = None

    @property
    def occurred_at(self) -> datetime:
        """When the call started."""
        return self.started_at


class Task(_Activity):
    """A to-do for a seller."""

    kind: Literal["task"] = "task"
    due: UtcDatetime | None = None
    status: Literal["open", "completed", "canceled"] = "open"
    description: str | None = None
    created_at: UtcDatetime

    @property
    def occurred_at(self) -> datetime:
        """When the task was created."""
        return self.created_at


Activity = Annotated[
    EmailMessage | ChatMessage | Appointment | PhoneCall | Task,
    Field(discriminator="kind"),
]
"""Any activity; the ``kind`` field says which."""

_Kind = TypeVar("_Kind", EmailMessage, ChatMessage, Appointment, PhoneCall, Task)


def _oldest_first(activities: Iterable[Activity], kind: type[_Kind]) -> list[_Kind]:
    """The activities of one kind, by when each occurred (a stable sort: ties keep their order)."""
    return sorted((a for a in activities if isinstance(a, kind)), key=lambda a: a.occurred_at)


class AttachmentMeta(_Record):
    """What is known about a note's attachment (the content itself is not loaded)."""

    filename: NonEmptyStr
    mime_type: str | None = None
    size_bytes: NonNegativeInt | None = None


class Note(_Record):
    """A free-text note on a record, with optional attachment metadata."""

    id: NonEmptyStr
    regarding: RecordRef
    title: str | None = None
    text: str = ""
    author_id: str | None = None
    created_at: UtcDatetime
    attachments: tuple[AttachmentMeta, ...] = ()


class Seller(_Record):
    """A user of the CRM who owns leads."""

    id: NonEmptyStr
    name: NonEmptyStr
    email: str | None = None
    roles: tuple[str, ...] = ()
    """Security roles, matched against ``AgentConfig.team_access``."""
    team: str | None = None
    title: str | None = None
    phone: str | None = None
    is_active: bool = True


class LeadContext(LeadqualModel):
    """A lead with every record related to it: what each component reads.

    Built by :func:`leadqual.sources.build_context` from any :class:`~leadqual.sources.CrmSource`.
    """

    model_config = ConfigDict(frozen=True)

    lead: Lead
    account: Account | None = None
    contact: Contact | None = None
    opportunities: tuple[Opportunity, ...] = ()
    activities: tuple[Activity, ...] = ()
    """Activities regarding the lead or its contact, oldest first."""
    notes: tuple[Note, ...] = ()
    owner: Seller | None = None

    @model_validator(mode="after")
    def _linked(self) -> Self:
        if self.account is not None and self.lead.account_id not in (None, self.account.id):
            raise ValueError("account does not match lead.account_id")
        if self.contact is not None and self.lead.contact_id not in (None, self.contact.id):
            raise ValueError("contact does not match lead.contact_id")
        return self

    @property
    def emails(self) -> Sequence[EmailMessage]:
        """Email messages, oldest first."""
        return _oldest_first(self.activities, EmailMessage)

    @property
    def appointments(self) -> Sequence[Appointment]:
        """Appointments, earliest first."""
        return _oldest_first(self.activities, Appointment)

    @property
    def phone_calls(self) -> Sequence[PhoneCall]:
        """Phone calls, oldest first."""
        return _oldest_first(self.activities, PhoneCall)

    @property
    def chats(self) -> Sequence[ChatMessage]:
        """Chat messages, oldest first."""
        return _oldest_first(self.activities, ChatMessage)

    @property
    def tasks(self) -> Sequence[Task]:
        """Tasks, oldest first."""
        return _oldest_first(self.activities, Task)
