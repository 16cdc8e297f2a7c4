"""How :class:`~leadqual.sources.SqlSource` reads existing tables: which table holds each kind of
record, which column feeds each field, and how stored codes become the model's values.

Two presets are built in: :meth:`SqlMapping.leadqual` (tables and columns named after the model)
and :meth:`SqlMapping.dataverse` (a Dynamics 365 / Dataverse table export, as Synapse Link or
Fabric link copy it to SQL).

Examples:
    >>> leads = TableMap(
    ...     table="crm_leads",
    ...     columns={"id": "lead_no", "last_name": "surname", "created_at": "entered",
    ...              "address.city": "town", "status": "state"},
    ...     values={"status": {0: "open", 1: "qualified", 2: "disqualified"}},
    ... )
    >>> SqlMapping(leads=leads).tables()[0].table
    'crm_leads'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator

from leadqual._base import FrozenModel
from leadqual.models import CustomValue

__all__ = ["SqlMapping", "TableMap", "normalize_code"]

RecordName = Literal[
    "leads", "accounts", "contacts", "opportunities", "activities", "notes", "sellers"
]
Code = str | int | float | bool


def normalize_code(value: object) -> str:
    """The form in which a stored value is looked up in a value map: ``1``, ``1.0``,
    ``Decimal("1")``, ``True`` and ``"1"`` are the same code; text is compared without case and
    surrounding spaces."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip().casefold()
    text = str(value)
    try:  # Decimal and other numbers
        number = float(text)
    except ValueError:
        return text.strip().casefold()
    return str(int(number)) if number.is_integer() else text


class TableMap(FrozenModel):
    """Where one kind of record lives and how its columns become the model's fields.

    Attributes are targets (model fields, dotted for nested ones) mapped to column names. A
    target mapped to several columns takes the first that is not NULL, or, for a field that holds
    several values (``other_emails``, ``to_addresses``, ``roles``...), every one that is not NULL;
    a text value read into such a field is split on ``;``.

    Nested targets: ``address.street`` (``.city``, ``.state``, ``.postal_code``, ``.country``),
    ``phones.business`` (``.mobile``, ``.home``, ``.other``), ``regarding.kind`` and
    ``regarding.id`` (activities and notes), ``custom_fields.<any name>``.

    Links between tables are by id: a column mapped to ``account_id``, ``owner_id``,
    ``regarding.id``... holds the id (the column mapped to ``id``) of the record it points to.
    """

    table: str = Field(min_length=1)
    """The table (or view) name, as the database spells it."""
    schema_name: str | None = None
    """The schema holding the table; ``None`` is the mapping's schema, else the default one."""
    columns: Mapping[str, str | tuple[str, ...]]
    """Target field -> column (or columns)."""
    values: Mapping[str, Mapping[Code, CustomValue]] = Field(default_factory=dict)
    """Target field -> {stored code: model value}, e.g. ``{"status": {0: "open", 1:
    "qualified"}}``. Codes are matched by :func:`normalize_code`; a code not in the map is read
    as it is (and refused by the model if it is not a valid value)."""
    constants: Mapping[str, CustomValue] = Field(default_factory=dict)
    """Target field -> a fixed value for every row, e.g. ``{"kind": "email"}`` for a table of
    emails, or ``{"regarding.kind": "lead"}`` for a table of activities that all regard leads."""
    optional: bool = False
    """Read a missing table as empty rather than refuse the mapping (presets use it for tables
    an export may leave out)."""
    missing_columns: Literal["error", "ignore"] = "error"
    """``"ignore"``: read a mapped column the table does not have as NULL (a column a required
    field needs is still an error). Presets use it, as a copy may leave columns out."""

    @field_validator("columns")
    @classmethod
    def _has_columns(
        cls, columns: Mapping[str, str | tuple[str, ...]]
    ) -> Mapping[str, str | tuple[str, ...]]:
        for target, column in columns.items():
            if not target or (isinstance(column, tuple) and not column) or column == "":
                raise ValueError(f"target {target!r} needs a column name")
        return columns

    def column_names(self, target: str) -> tuple[str, ...]:
        """The columns mapped to ``target`` (empty when it is not mapped)."""
        found = self.columns.get(target)
        if found is None:
            return ()
        return (found,) if isinstance(found, str) else found


class SqlMapping(FrozenModel):
    """Which table holds each kind of record. A kind left ``None`` (or, for activities, empty)
    is read as having no records."""

    leads: TableMap | None = None
    accounts: TableMap | None = None
    contacts: TableMap | None = None
    opportunities: TableMap | None = None
    activities: tuple[TableMap, ...] = ()
    """Activity tables: one per kind (``constants={"kind": "email"}``), or one holding every
    kind with ``kind`` mapped to a column."""
    notes: TableMap | None = None
    sellers: TableMap | None = None
    schema_name: str | None = None
    """The schema of every table that names none."""

    def tables(self) -> list[TableMap]:
        """Every table mapped."""
        single = (self.leads, self.accounts, self.contacts, self.opportunities)
        rest = (self.notes, self.sellers)
        return [t for t in (*single, *self.activities, *rest) if t is not None]

    @classmethod
    def leadqual(cls, *, schema_name: str | None = None, prefix: str = "") -> SqlMapping:
        """Tables named after the record kinds (``leads``, ``accounts``, ``contacts``,
        ``opportunities``, ``activities``, ``notes``, ``sellers``, each with ``prefix`` before
        it) and columns named after the fields, nested ones joined by ``_`` (``address_city``,
        ``regarding_kind``). Leads are required; a missing table of another kind reads as empty.

        Examples:
            >>> SqlMapping.leadqual(prefix="crm_").leads.columns["address.city"]
            'address_city'
        """
        return cls(
            schema_name=schema_name,
            leads=_plain(f"{prefix}leads", _LEAD, optional=False),
            accounts=_plain(f"{prefix}accounts", _ACCOUNT),
            contacts=_plain(f"{prefix}contacts", _CONTACT),
            opportunities=_plain(f"{prefix}opportunities", _OPPORTUNITY),
            activities=(_plain(f"{prefix}activities", _ACTIVITY),),
            notes=_plain(f"{prefix}notes", _NOTE),
            sellers=_plain(f"{prefix}sellers", _SELLER),
        )

    @classmethod
    def dataverse(cls, *, schema_name: str | None = None, prefix: str = "") -> SqlMapping:
        """A Dynamics 365 Sales / Dataverse export (Synapse Link, Fabric link, or any copy that
        keeps the logical names): tables ``lead``, ``account``, ``contact``, ``opportunity``,
        ``email``, ``phonecall``, ``appointment``, ``task``, ``annotation`` and ``systemuser``,
        with their choice columns (``statecode``, ``statuscode``, ``leadsourcecode``,
        ``industrycode``...) read as labels. Every table but ``lead`` may be missing.

        Examples:
            >>> SqlMapping.dataverse().leads.columns["email"]
            'emailaddress1'
        """
        return cls(schema_name=schema_name, **_dataverse(prefix))


# -- the leadqual-like preset --------------------------------------------------------------------

_ADDRESS = ("address.street", "address.city", "address.state", "address.postal_code",
            "address.country")  # fmt: skip
_PHONES = ("phones.business", "phones.mobile", "phones.home", "phones.other")
_PERSON = ("first_name", "last_name", "job_title", "email", "other_emails", *_PHONES, *_ADDRESS)
_STAMPS = ("created_at", "modified_at")
_LEAD = ("id", *_PERSON, "company_name", "website", "industry", "employee_count",
         "annual_revenue", "lead_source", "campaign", "topic", "need", "description",
         "line_of_business", *_STAMPS, "status", "status_reason", "closed_at", "owner_id",
         "account_id", "contact_id")  # fmt: skip
_CONTACT = ("id", *_PERSON, "account_id", "owner_id", "originating_lead_id", *_STAMPS)
_ACCOUNT = ("id", "name", "website", "industry", "employee_count", "annual_revenue", *_PHONES,
            *_ADDRESS, "parent_account_id", "primary_contact_id", "owner_id",
            "originating_lead_id", *_STAMPS)  # fmt: skip
_OPPORTUNITY = ("id", "name", "status", "stage", "estimated_value", "actual_value", "close_date",
                "account_id", "contact_id", "originating_lead_id", "owner_id",
                "line_of_business", *_STAMPS)  # fmt: skip
_ACTIVITY = ("id", "kind", "regarding.kind", "regarding.id", "owner_id", "subject", "direction",
             "from_address", "to_addresses", "cc_addresses", "body", "sent_at", "message_id",
             "in_reply_to", "start", "end", "attendees", "status", "location", "answered",
             "started_at", "duration_seconds", "phone_number", "description", "due",
             "created_at")  # fmt: skip
_NOTE = ("id", "regarding.kind", "regarding.id", "title", "text", "author_id", "created_at")
_SELLER = ("id", "name", "email", "roles", "team", "title", "phone", "is_active")


def _plain(table: str, targets: tuple[str, ...], *, optional: bool = True) -> TableMap:
    return TableMap(
        table=table,
        columns={t: t.replace(".", "_") for t in targets},
        optional=optional,
        missing_columns="ignore",
    )


# -- the Dataverse preset ------------------------------------------------------------------------

_LEAD_SOURCE: dict[Code, CustomValue] = {
    1: "Advertisement", 2: "Employee Referral", 3: "External Referral", 4: "Partner",
    5: "Public Relations", 6: "Seminar", 7: "Trade Show", 8: "Web", 9: "Word of Mouth",
    10: "Other",
}  # fmt: skip
_INDUSTRY: dict[Code, CustomValue] = dict(enumerate((
    "Accounting", "Agriculture and Non-petrol Natural Resource Extraction",
    "Broadcasting Printing and Publishing", "Brokers", "Building Supply Retail",
    "Business Services", "Consulting", "Consumer Services",
    "Design, Direction and Creative Management", "Distributors, Dispatchers and Processors",
    "Doctor's Offices and Clinics", "Durable Manufacturing", "Eating and Drinking Places",
    "Entertainment Retail", "Equipment Rental and Leasing", "Financial",
    "Food and Tobacco Processing", "Inbound Capital Intensive Processing",
    "Inbound Repair and Services", "Insurance", "Legal Services",
    "Non-Durable Merchandise Retail", "Outbound Consumer Service",
    "Petrochemical Extraction and Distribution", "Service Retail", "SIG Affiliations",
    "Social Services", "Special Outbound Trade Contractors", "Specialty Realty",
    "Transportation", "Utility Creation and Distribution", "Vehicle Retail", "Wholesale",
), start=1))  # fmt: skip
_LEAD_STATE: dict[Code, CustomValue] = {0: "open", 1: "qualified", 2: "disqualified"}
_LEAD_STATUS: dict[Code, CustomValue] = {
    1: "New", 2: "Contacted", 3: "Qualified", 4: "Lost", 5: "Cannot Contact",
    6: "No Longer Interested", 7: "Canceled",
}  # fmt: skip
_OPPORTUNITY_STATE: dict[Code, CustomValue] = {0: "open", 1: "won", 2: "lost"}
_SALES_STAGE: dict[Code, CustomValue] = {0: "qualify", 1: "develop", 2: "propose", 3: "close"}
_RATING: dict[Code, CustomValue] = {1: "Hot", 2: "Warm", 3: "Cold"}
_BUDGET: dict[Code, CustomValue] = {
    0: "No Committed Budget", 1: "May Buy", 2: "Can Buy", 3: "Will Buy"
}  # fmt: skip
_TIMEFRAME: dict[Code, CustomValue] = {
    0: "Immediate", 1: "This Quarter", 2: "Next Quarter", 3: "This Year", 4: "Unknown"
}  # fmt: skip
_NEED: dict[Code, CustomValue] = {
    0: "Must have", 1: "Should have", 2: "Good to have", 3: "No need"
}  # fmt: skip
_DIRECTION: dict[Code, CustomValue] = {1: "outbound", 0: "inbound"}
_REGARDING: dict[Code, CustomValue] = {
    "lead": "lead", "contact": "contact", "account": "account", "opportunity": "opportunity",
    4: "lead", 2: "contact", 1: "account", 3: "opportunity",  # object type codes
}  # fmt: skip
_DV_ADDRESS = {
    "address.street": "address1_line1", "address.city": "address1_city",
    "address.state": "address1_stateorprovince", "address.postal_code": "address1_postalcode",
    "address.country": "address1_country",
}  # fmt: skip
_DV_STAMPS = {"created_at": "createdon", "modified_at": "modifiedon"}
_DV_ACTIVITY = {
    "id": "activityid", "subject": "subject", "owner_id": "ownerid",
    "regarding.id": "regardingobjectid", "regarding.kind": "regardingobjecttypecode",
}  # fmt: skip


def _dataverse(prefix: str) -> dict[str, TableMap | tuple[TableMap, ...]]:
    def table(name: str, optional: bool = True, **parts: object) -> TableMap:
        return TableMap.model_validate(
            {"table": f"{prefix}{name}", "optional": optional, "missing_columns": "ignore", **parts}
        )

    activity_values = {"regarding.kind": _REGARDING}
    return {
        "leads": table(
            "lead",
            optional=False,
            columns={
                "id": "leadid",
                "topic": "subject",
                "first_name": "firstname",
                "last_name": "lastname",
                "company_name": "companyname",
                "job_title": "jobtitle",
                "email": "emailaddress1",
                "other_emails": ("emailaddress2", "emailaddress3"),
                "phones.business": "telephone1",
                "phones.mobile": "mobilephone",
                "website": "websiteurl",
                "description": "description",
                "lead_source": "leadsourcecode",
                "industry": "industrycode",
                "employee_count": "numberofemployees",
                "annual_revenue": "revenue",
                "need": "need",
                "campaign": "campaignid",
                **_DV_ADDRESS,
                "status": "statecode",
                "status_reason": "statuscode",
                **_DV_STAMPS,
                "owner_id": "ownerid",
                "account_id": "parentaccountid",
                "contact_id": "parentcontactid",
                "custom_fields.rating": "leadqualitycode",
                "custom_fields.budget_amount": "budgetamount",
                "custom_fields.budget_status": "budgetstatus",
                "custom_fields.purchase_timeframe": "purchasetimeframe",
            },
            values={
                "lead_source": _LEAD_SOURCE,
                "industry": _INDUSTRY,
                "need": _NEED,
                "status": _LEAD_STATE,
                "status_reason": _LEAD_STATUS,
                "custom_fields.rating": _RATING,
                "custom_fields.budget_status": _BUDGET,
                "custom_fields.purchase_timeframe": _TIMEFRAME,
            },
        ),
        "accounts": table(
            "account",
            columns={
                "id": "accountid",
                "name": "name",
                "website": "websiteurl",
                "industry": "industrycode",
                "employee_count": "numberofemployees",
                "annual_revenue": "revenue",
                "phones.business": "telephone1",
                **_DV_ADDRESS,
                "parent_account_id": "parentaccountid",
                "primary_contact_id": "primarycontactid",
                "owner_id": "ownerid",
                "originating_lead_id": "originatingleadid",
                **_DV_STAMPS,
            },
            values={"industry": _INDUSTRY},
        ),
        "contacts": table(
            "contact",
            columns={
                "id": "contactid",
                "first_name": "firstname",
                "last_name": "lastname",
                "job_title": "jobtitle",
                "email": "emailaddress1",
                "phones.business": "telephone1",
                "phones.mobile": "mobilephone",
                **_DV_ADDRESS,
                "account_id": "parentcustomerid",
                "owner_id": "ownerid",
                "originating_lead_id": "originatingleadid",
                **_DV_STAMPS,
            },
        ),
        "opportunities": table(
            "opportunity",
            columns={
                "id": "opportunityid",
                "name": "name",
                "status": "statecode",
                "stage": "salesstage",
                "estimated_value": "estimatedvalue",
                "actual_value": "actualvalue",
                "close_date": ("actualclosedate", "estimatedclosedate"),
                "account_id": "parentaccountid",
                "contact_id": "parentcontactid",
                "originating_lead_id": "originatingleadid",
                "owner_id": "ownerid",
                **_DV_STAMPS,
            },
            values={"status": _OPPORTUNITY_STATE, "stage": _SALES_STAGE},
        ),
        "activities": (
            table(
                "email",
                columns={
                    **_DV_ACTIVITY,
                    "direction": "directioncode",
                    "from_address": "sender",
                    "to_addresses": "torecipients",
                    "body": "description",
                    "sent_at": ("senton", "createdon"),
                    "message_id": "messageid",
                },
                values={**activity_values, "direction": _DIRECTION},
                constants={"kind": "email"},
            ),
            table(
                "phonecall",
                columns={
                    **_DV_ACTIVITY,
                    "direction": "directioncode",
                    "phone_number": "phonenumber",
                    "description": "description",
                    "answered": "statecode",
                    "started_at": ("actualstart", "scheduledstart", "createdon"),
                },
                # A completed call is taken as answered; an open or canceled one as not.
                values={
                    **activity_values,
                    "direction": _DIRECTION,
                    "answered": {0: False, 1: True, 2: False},
                },
                constants={"kind": "phone_call"},
            ),
            table(
                "appointment",
                columns={
                    **_DV_ACTIVITY,
                    "start": "scheduledstart",
                    "end": "scheduledend",
                    "location": "location",
                    "status": "statecode",
                },
                values={
                    **activity_values,
                    "status": {0: "scheduled", 1: "completed", 2: "canceled", 3: "scheduled"},
                },
                constants={"kind": "appointment"},
            ),
            table(
                "task",
                columns={
                    **_DV_ACTIVITY,
                    "description": "description",
                    "due": "scheduledend",
                    "status": "statecode",
                    "created_at": "createdon",
                },
                values={**activity_values, "status": {0: "open", 1: "completed", 2: "canceled"}},
                constants={"kind": "task"},
            ),
        ),
        "notes": table(
            "annotation",
            columns={
                "id": "annotationid",
                "title": "subject",
                "text": "notetext",
                "regarding.id": "objectid",
                "regarding.kind": "objecttypecode",
                "author_id": "createdby",
                "created_at": "createdon",
            },
            values={"regarding.kind": _REGARDING},
        ),
        "sellers": table(
            "systemuser",
            columns={
                "id": "systemuserid",
                "name": "fullname",
                "email": "internalemailaddress",
                "title": "title",
                "is_active": "isdisabled",
            },
            values={"is_active": {1: False, 0: True}},
        ),
    }
