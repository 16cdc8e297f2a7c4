"""What CRM exports call their columns: vendor presets, multilingual synonyms, and header matching.

Pure data and string matching (no pandas), shared by :mod:`leadqual.sources.tabular`.

Vendor column names come from the vendors' own references:

* Dynamics 365: the display names of the ``lead`` table's columns (Microsoft Learn, "lead
  EntityType" / "Lead table/entity reference"), which "Export to Excel" writes as headers, plus the
  hidden ``(Do Not Modify) Lead`` id column that export adds.
* Salesforce: the API names of the Lead object (Data Loader and Data Export) and their field labels
  as report exports write them (Salesforce "Field Reference: Lead"; reports label ``Company`` as
  ``Company / Account`` and ``Status`` as ``Lead Status``).
* HubSpot: the labels of the default contact properties as the contacts export writes them
  (``Record ID``, ``Contact owner``, ``Lifecycle Stage``, ``Lead Status``, ``Create Date``...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz

__all__ = [
    "DEFAULT_LEAD_SOURCES",
    "DEFAULT_STATUS_VALUES",
    "PRESET_COLUMNS",
    "PRESET_NOTES",
    "SYNONYMS",
    "best_matches",
    "header_key",
    "value_key",
]


def header_key(name: object, /) -> str:
    """A column name folded for matching: BOM, case, accents, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", str(name).replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[^\W_]+", text))


def value_key(value: str, /) -> str:
    """A cell value folded for looking it up in a value map (status, lead source)."""
    return header_key(value)


# target -> candidate column names, most specific first. A preset maps each target to the first
# candidate the file has.
PRESET_COLUMNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "dynamics365": {
        "id": ("(Do Not Modify) Lead", "Lead", "Lead ID", "leadid"),
        "topic": ("Topic",),
        "full_name": ("Name", "Full Name"),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "company_name": ("Company Name", "Company"),
        "job_title": ("Job Title",),
        "email": ("Email",),
        "other_emails": ("Email Address 2",),
        "phones.business": ("Business Phone",),
        "phones.mobile": ("Mobile Phone",),
        "phones.home": ("Home Phone",),
        "address.street": ("Street 1", "Address 1: Street 1"),
        "address.city": ("City", "Address 1: City"),
        "address.state": ("State/Province", "Address 1: State/Province"),
        "address.postal_code": ("ZIP/Postal Code", "Address 1: ZIP/Postal Code"),
        "address.country": ("Country/Region", "Address 1: Country/Region"),
        "website": ("Website",),
        "industry": ("Industry",),
        "employee_count": ("No. of Employees", "Number of Employees"),
        "annual_revenue": ("Annual Revenue",),
        "lead_source": ("Lead Source",),
        "campaign": ("Source Campaign", "Campaign"),
        "status": ("Status", "Status Reason"),
        "status_reason": ("Status Reason",),
        "created_at": ("Created On",),
        "modified_at": ("Modified On", "(Do Not Modify) Modified On"),
        "owner_id": ("Owner",),
        "description": ("Description",),
        "account_id": ("Existing Account", "Parent Account for lead"),
        "contact_id": ("Existing Contact?", "Parent Contact for lead"),
    },
    "salesforce": {
        "id": ("Id",),
        "first_name": ("FirstName",),
        "last_name": ("LastName",),
        "company_name": ("Company",),
        "job_title": ("Title",),
        "email": ("Email",),
        "phones.business": ("Phone",),
        "phones.mobile": ("MobilePhone",),
        "address.street": ("Street",),
        "address.city": ("City",),
        "address.state": ("State",),
        "address.postal_code": ("PostalCode",),
        "address.country": ("Country",),
        "website": ("Website",),
        "industry": ("Industry",),
        "employee_count": ("NumberOfEmployees",),
        "annual_revenue": ("AnnualRevenue",),
        "lead_source": ("LeadSource",),
        "status": ("Status",),
        "created_at": ("CreatedDate",),
        "modified_at": ("LastModifiedDate",),
        "closed_at": ("ConvertedDate",),
        "owner_id": ("OwnerId",),
        "description": ("Description",),
        "account_id": ("ConvertedAccountId",),
        "contact_id": ("ConvertedContactId",),
    },
    "salesforce_report": {
        "id": ("Lead ID", "Record ID"),
        "full_name": ("Name", "Full Name"),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "company_name": ("Company / Account", "Company"),
        "job_title": ("Title",),
        "email": ("Email",),
        "phones.business": ("Phone",),
        "phones.mobile": ("Mobile", "Mobile Phone"),
        "address.street": ("Street",),
        "address.city": ("City",),
        "address.state": ("State/Province", "State"),
        "address.postal_code": ("Zip/Postal Code", "Postal Code"),
        "address.country": ("Country",),
        "website": ("Website",),
        "industry": ("Industry",),
        "employee_count": ("No. of Employees", "Employees"),
        "annual_revenue": ("Annual Revenue",),
        "lead_source": ("Lead Source",),
        "status": ("Lead Status", "Status"),
        "created_at": ("Create Date", "Created Date"),
        "modified_at": ("Last Modified Date",),
        "closed_at": ("Converted Date",),
        "owner_id": ("Lead Owner", "Owner"),
        "description": ("Description",),
    },
    "hubspot": {
        "id": ("Record ID", "Contact ID"),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "email": ("Email",),
        "company_name": ("Company Name", "Associated Company"),
        "job_title": ("Job Title",),
        "phones.business": ("Phone Number",),
        "phones.mobile": ("Mobile Phone Number",),
        "address.street": ("Street Address",),
        "address.city": ("City",),
        "address.state": ("State/Region",),
        "address.postal_code": ("Postal Code",),
        "address.country": ("Country/Region",),
        "website": ("Website URL",),
        "industry": ("Industry",),
        "employee_count": ("Number of Employees",),
        "annual_revenue": ("Annual Revenue",),
        "lead_source": ("Original Source", "Original Traffic Source"),
        "status": ("Lead Status",),
        "custom_fields.lifecycle_stage": ("Lifecycle Stage",),
        "created_at": ("Create Date",),
        "modified_at": ("Last Modified Date",),
        "owner_id": ("Contact owner", "Contact Owner"),
        "need": ("Message",),
    },
}

PRESET_NOTES: Mapping[str, str] = {
    "dynamics365": "Dynamics 365 (Export to Excel / CSV of the Lead table, display names)",
    "salesforce": "Salesforce (Data Loader or Data Export of the Lead object, API names)",
    "salesforce_report": "Salesforce (report export of leads, field labels)",
    "hubspot": "HubSpot (contacts export, property labels)",
}

# Lead status values the vendors ship, folded with value_key. Dynamics: statecode "Open" /
# "Qualified" / "Disqualified" and the statuscode reasons; Salesforce: the default Lead Status
# picklist; HubSpot: hs_lead_status internal values and labels, and lifecycle stages.
_OPEN = (
    "open", "new", "contacted", "working", "in progress", "attempted to contact", "connected",
    "open not contacted", "working contacted", "nurturing", "nurture", "open deal",
    "subscriber", "lead", "marketingqualifiedlead", "marketing qualified lead", "mql",
    "offen", "neu", "kontaktiert", "ouvert", "nouveau", "contacté", "abierto", "nuevo", "contactado",
)  # fmt: skip
_QUALIFIED = (
    "qualified", "converted", "closed converted", "salesqualifiedlead", "sales qualified lead",
    "sql", "opportunity", "customer", "qualifiziert", "qualifié", "cualificado", "calificado",
)  # fmt: skip
_DISQUALIFIED = (
    "disqualified", "lost", "cannot contact", "no longer interested", "canceled", "cancelled",
    "closed not converted", "unqualified", "bad timing", "junk", "disqualifiziert",
    "verloren", "disqualifié", "perdu", "descalificado", "perdido",
)  # fmt: skip
DEFAULT_STATUS_VALUES: Mapping[str, str] = {
    **{value_key(v): "open" for v in _OPEN},
    **{value_key(v): "qualified" for v in _QUALIFIED},
    **{value_key(v): "disqualified" for v in _DISQUALIFIED},
}

# HubSpot writes its traffic sources as codes in exports made through the API.
DEFAULT_LEAD_SOURCES: Mapping[str, str] = {
    value_key(k): v
    for k, v in {
        "ORGANIC_SEARCH": "Organic search",
        "PAID_SEARCH": "Paid search",
        "EMAIL_MARKETING": "Email marketing",
        "SOCIAL_MEDIA": "Organic social",
        "PAID_SOCIAL": "Paid social",
        "REFERRALS": "Referrals",
        "DIRECT_TRAFFIC": "Direct traffic",
        "OFFLINE": "Offline sources",
        "OTHER_CAMPAIGNS": "Other campaigns",
    }.items()
}

# target -> what headers in English, German, French and Spanish call it.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "lead id", "record id", "identifier", "kennung", "identifiant", "identificador"),
    "first_name": (
        "first name", "firstname", "given name", "forename", "vorname", "prénom", "nombre",
        "nombre de pila",
    ),
    "last_name": (
        "last name", "lastname", "surname", "family name", "nachname", "familienname", "nom",
        "nom de famille", "apellido", "apellidos",
    ),
    "full_name": (
        "name", "full name", "contact name", "lead name", "contact", "vollständiger name",
        "nom complet", "nombre completo",
    ),
    "company_name": (
        "company", "company name", "account", "account name", "organization", "organisation",
        "firma", "firmenname", "unternehmen", "société", "entreprise", "empresa", "compañía",
        "nombre de la empresa",
    ),
    "email": (
        "email", "e-mail", "email address", "mail", "e-mail-adresse", "courriel", "adresse e-mail",
        "adresse électronique", "correo", "correo electrónico",
    ),
    "job_title": (
        "job title", "title", "position", "role", "berufsbezeichnung", "titel", "funktion",
        "poste", "fonction", "titre", "intitulé du poste", "cargo", "puesto",
    ),
    "lead_source": (
        "lead source", "source", "origin", "quelle", "lead-quelle", "herkunft",
        "source du prospect", "origine", "origen", "fuente", "origen del cliente potencial",
    ),
    "status": ("status", "lead status", "stage", "state", "statut", "estado", "état"),
    "status_reason": ("status reason", "statusgrund", "raison du statut", "razón para el estado"),
    "created_at": (
        "created", "created on", "created date", "create date", "creation date", "date created",
        "erstellt am", "erstellungsdatum", "angelegt am", "date de création", "créé le",
        "fecha de creación", "creado", "creado el",
    ),
    "modified_at": (
        "modified on", "last modified", "last modified date", "geändert am", "modifié le",
        "fecha de modificación",
    ),
    "employee_count": (
        "employees", "number of employees", "no. of employees", "headcount", "company size",
        "mitarbeiter", "anzahl mitarbeiter", "mitarbeiterzahl", "effectif", "nombre d'employés",
        "salariés", "empleados", "número de empleados",
    ),
    "annual_revenue": (
        "annual revenue", "revenue", "turnover", "umsatz", "jahresumsatz", "chiffre d'affaires",
        "ingresos", "ingresos anuales", "facturación",
    ),
    "industry": (
        "industry", "sector", "vertical", "branche", "industrie", "secteur",
        "secteur d'activité", "industria",
    ),
    "website": (
        "website", "web site", "url", "homepage", "webseite", "internetseite", "site web",
        "site internet", "sitio web", "página web",
    ),
    "address.street": (
        "street", "street address", "address", "straße", "strasse", "adresse", "rue",
        "dirección", "calle",
    ),
    "address.city": ("city", "town", "stadt", "ort", "ville", "ciudad", "localidad"),
    "address.state": (
        "state/province", "province", "region", "state/region", "bundesland", "région",
        "provincia",
    ),
    "address.postal_code": (
        "zip", "zip code", "postal code", "postcode", "zip/postal code", "plz", "postleitzahl",
        "code postal", "código postal",
    ),
    "address.country": ("country", "country/region", "land", "pays", "país"),
    "phones.business": (
        "phone", "business phone", "work phone", "telephone", "phone number", "telefon",
        "telefonnummer", "téléphone", "teléfono",
    ),
    "phones.mobile": (
        "mobile", "mobile phone", "mobile phone number", "cell", "cell phone", "handy", "mobil",
        "mobiltelefon", "mobilnummer", "portable", "téléphone portable", "móvil", "celular",
    ),
    "owner_id": (
        "owner", "lead owner", "contact owner", "assigned to", "sales rep", "besitzer",
        "verantwortlicher", "zuständig", "propriétaire", "responsable", "propietario",
    ),
    "topic": ("topic", "subject", "thema", "betreff", "sujet", "objet", "asunto", "tema"),
    "description": (
        "description", "notes", "comments", "beschreibung", "notizen", "commentaires",
        "descripción", "notas", "comentarios",
    ),
    "campaign": ("campaign", "kampagne", "campagne", "campaña"),
    "need": ("need", "pain", "requirement", "bedarf", "besoin", "necesidad"),
}  # fmt: skip

_SYNONYM_KEYS: Mapping[str, str] = {
    header_key(name): target for target, names in SYNONYMS.items() for name in names
}


_TARGET_KEYS: Mapping[str, tuple[str, ...]] = {
    target: tuple(header_key(n) for n in names) for target, names in SYNONYMS.items()
}


def best_matches(
    headers: Iterable[str], /, *, targets: Iterable[str], cutoff: float = 80.0
) -> dict[str, tuple[str, float]]:
    """Assign headers to ``targets`` by their synonyms: exact (folded) names first, then fuzzy
    (rapidfuzz ``ratio`` or ``token_sort_ratio`` of at least ``cutoff``), each header and each target used once, best
    score first. Returns target -> (header, score)."""
    wanted = set(targets)
    scored: list[tuple[float, int, str, str]] = []
    for order, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        exact = _SYNONYM_KEYS.get(key)
        if exact in wanted:
            scored.append((100.0, -order, header, exact))
            continue
        for target in wanted:
            best = max(
                (
                    max(fuzz.ratio(key, k), fuzz.token_sort_ratio(key, k))
                    for k in _TARGET_KEYS.get(target, ())
                ),
                default=0.0,
            )
            if best >= cutoff:
                scored.append((float(best), -order, header, target))
    scored.sort(reverse=True)
    out: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    for score, _, header, target in scored:
        if target in out or header in used:
            continue
        out[target] = (header, score)
        used.add(header)
    return out
