"""Generate the bundled sample CRM (``src/leadqual/sources/data/``) from a fixed seed.

Run ``python scripts/generate_sample.py`` after changing it; the output is deterministic, and a test
checks the committed files match what this script writes.

The data is fictional: a vendor (Tailspin Analytics) selling a revenue-intelligence product, its
sellers, accounts, contacts, opportunities, 250 leads with two years of closed history, email
threads, meetings, calls, notes, hand-raisers, duplicates of every kind the seeds name, and bad,
disposable and personal email addresses. ``truth`` records what was planted so tests can check it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadqual.config import AgentConfig
from leadqual.sources.memory import CrmSnapshot

SEED = 20261101
AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OUT = Path(__file__).resolve().parents[1] / "src" / "leadqual" / "sources" / "data"

SELLERS = [
    ("S-01", "Avery Brooks", "Salesperson", "North America"),
    ("S-02", "Jordan Patel", "Salesperson", "North America"),
    ("S-03", "Morgan Chen", "Salesperson", "Europe"),
    ("S-04", "Riley Santos", "Salesperson", "Europe"),
    ("S-05", "Casey Novak", "Sales Manager", "Global"),
]
SELLER_IDS = [s[0] for s in SELLERS[:4]]

# industry as written in CRMs -> (sector, name words)
INDUSTRIES: list[tuple[str, str, list[str], float]] = [
    ("Technology", "tech", ["Software", "Systems", "Labs", "Networks", "Data", "Cloud"], 3),
    ("Information Technology", "tech", ["Digital", "Computing", "Tech"], 1.5),
    ("Computer Software", "tech", ["Soft", "Apps"], 1),
    ("Fintech", "fin", ["Pay", "Ledger"], 1),
    ("Financial Services", "fin", ["Capital", "Financial", "Wealth", "Partners"], 2),
    ("Banking", "fin", ["Bank", "Savings"], 1),
    ("Insurance", "fin", ["Insurance", "Assurance"], 1),
    ("Hospital & Health Care", "health", ["Health", "Medical", "Clinics"], 1.5),
    ("Healthcare", "health", ["Care", "Health Partners"], 1.5),
    ("Pharmaceuticals", "health", ["Pharma", "Biotech"], 1),
    ("Manufacturing", "other", ["Manufacturing", "Industries", "Components"], 2),
    ("Retail", "other", ["Retail", "Outfitters", "Market"], 1.5),
    ("Education", "other", ["Academy", "Learning"], 1),
    ("Government Administration", "gov", ["County Services", "Public Works"], 0.7),
    ("Logistics", "other", ["Logistics", "Freight"], 1),
    ("Energy", "other", ["Energy", "Renewables"], 0.8),
    ("Hospitality", "other", ["Hotels", "Hospitality"], 0.7),
]
STEMS = (
    "Alder Birch Cobalt Delta Ember Fjord Granite Harbor Iris Juniper Kestrel Lumen Maple Nimbus "
    "Orion Pinnacle Quartz Riverton Summit Tidal Umber Vertex Willow Xenon Yarrow Zephyr Aurora "
    "Beacon Cedar Driftwood Evergreen Falcon Glacier Helix Ironwood Jasper Keystone Lakeside "
    "Meridian Northgate Oakridge Pioneer Redwood Silverline Trident Upland Valiant Westbrook"
).split()

# country code, how CRMs write it (variants), weight, suffixes, tld, cities [(city, state)]
COUNTRIES: list[tuple[str, list[str], float, list[str], str, list[tuple[str, str | None]]]] = [
    (
        "US",
        ["United States", "USA", "US", "United States of America"],
        5,
        ["Inc.", "Corp.", "LLC", "Inc"],
        "com",
        [
            ("San Francisco", "CA"),
            ("Austin", "Texas"),
            ("New York", "NY"),
            ("Chicago", "IL"),
            ("Boston", "MA"),
            ("Seattle", "WA"),
            ("Denver", "Colorado"),
            ("Atlanta", "GA"),
        ],
    ),
    (
        "CA",
        ["Canada", "CA"],
        1,
        ["Inc.", "Ltd."],
        "ca",
        [("Toronto", "ON"), ("Vancouver", "British Columbia"), ("Montreal", "Quebec")],
    ),
    (
        "GB",
        ["United Kingdom", "UK", "Great Britain"],
        2,
        ["Ltd", "plc", "Limited"],
        "co.uk",
        [("London", None), ("Manchester", None), ("Edinburgh", None)],
    ),
    (
        "DE",
        ["Germany", "Deutschland", "DE"],
        1.5,
        ["GmbH", "AG"],
        "de",
        [("Berlin", None), ("Munich", "Bavaria"), ("Hamburg", None)],
    ),
    ("FR", ["France", "FR"], 1, ["SA", "SAS"], "fr", [("Paris", None), ("Lyon", None)]),
    (
        "NL",
        ["Netherlands", "The Netherlands"],
        0.8,
        ["B.V."],
        "nl",
        [("Amsterdam", None), ("Rotterdam", None)],
    ),
    (
        "ES",
        ["Spain", "España"],
        0.6,
        ["S.L.", "S.A."],
        "es",
        [("Madrid", None), ("Barcelona", None)],
    ),
    ("SE", ["Sweden"], 0.5, ["AB"], "se", [("Stockholm", None)]),
    (
        "AU",
        ["Australia", "AU"],
        0.8,
        ["Pty Ltd"],
        "com.au",
        [("Sydney", "NSW"), ("Melbourne", "VIC")],
    ),
    (
        "IN",
        ["India"],
        0.8,
        ["Pvt Ltd"],
        "in",
        [("Bengaluru", "Karnataka"), ("Mumbai", "Maharashtra")],
    ),
    ("BR", ["Brazil", "Brasil"], 0.6, ["Ltda"], "com.br", [("São Paulo", "SP")]),
    ("JP", ["Japan"], 0.5, ["K.K."], "jp", [("Tokyo", None)]),
    ("SG", ["Singapore"], 0.4, ["Pte Ltd"], "sg", [("Singapore", None)]),
    ("MX", ["Mexico", "México"], 0.4, ["S.A. de C.V."], "mx", [("Mexico City", "CDMX")]),
]
REGION_FIT = {"US": 1, "CA": 1, "MX": 1, "GB": 1, "DE": 1, "FR": 1, "NL": 1, "ES": 1, "SE": 1}

FIRST_NAMES = (
    "Robert William Elizabeth Katherine Jonathan Michael Jennifer Margaret Richard Thomas Daniel "
    "Christopher Alexander Samantha Patricia Joseph Anna Sofia Lucas Emma Noah Olivia Liam Mia "
    "Priya Arjun Wei Mei Hiroshi Yuki Fatima Omar Chloé Léa Jürgen Björn Inés Mateo Aisha Kwame "
    "Ngozi Sean Siobhan Rafael Camila Andrea Marco Giulia Lars Ingrid Dmitri Olga Tariq Zainab"
).split()
LAST_NAMES = (
    "Smith Johnson Garcia Müller Nguyen Kowalski O'Brien Patel Kim Rossi Dubois Andersson Tanaka "
    "Silva Okafor Cohen Martin Schmidt Fernández Jensen Novak Murphy Lee Brown Wilson Clark Lewis "
    "Walker Hall Young King Wright Lopez Hill Scott Green Adams Baker Nelson Carter Mitchell Perez "
    "Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Sanchez Morris Rogers"
).split()

TITLES_DECISION = [
    "Chief Information Officer",
    "CIO",
    "CTO",
    "Chief Technology Officer",
    "VP of Sales",
    "Head of Sales",
    "VP Sales",
    "Chief Revenue Officer",
    "Director of IT",
    "IT Director",
    "VP, Revenue Operations",
    "SVP Sales",
]
TITLES_MID = [
    "Sales Operations Manager",
    "Marketing Manager",
    "IT Manager",
    "Business Analyst",
    "Revenue Operations Lead",
    "CRM Administrator",
    "Account Executive",
    "Product Manager",
]
TITLES_JUNIOR = ["Sales Associate", "Intern", "Marketing Coordinator", "Analyst", "Student"]

SOURCES_HAND = ["Web form", "Campaign"]
SOURCES_OTHER = ["Trade show", "Partner", "Referral", "Purchased list", "Cold outreach", "Event"]
CAMPAIGNS = [
    "2026 Revenue Intelligence Webinar",
    "Healthcare Sales Summit 2026",
    "Fintech Forward EMEA",
    "Forecasting Playbook eBook",
]
NEEDS_FIT = [
    "Our pipeline forecasts are unreliable and the board keeps asking why",
    "Sales reps spend too much time on manual data entry in the CRM",
    "We need a single view of the customer across sales and service",
    "Lead response time is too slow; hot leads go cold",
    "Looking to replace spreadsheets for territory and quota planning",
    "We want to prioritise leads better and stop chasing bad fits",
]
NEEDS_OTHER = [
    "Looking for an office furniture supplier",
    "Need payroll software for a small team",
    "Just researching for a university project",
    "Exploring options, no budget yet",
]
TOPICS = [
    "Revenue Cloud evaluation",
    "Pipeline forecasting",
    "CRM analytics",
    "Lead scoring pilot",
    "Pricing question",
    "Demo request",
]

PERSONAL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "gmx.de"]


class Gen:
    """Deterministic generator of the sample CRM."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.companies: list[dict[str, Any]] = []
        self.leads: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.accounts: list[dict[str, Any]] = []
        self.opportunities: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.dns: dict[str, dict[str, Any]] = {}
        self.people: set[tuple[str, str, str]] = set()
        self.truth: dict[str, Any] = {
            "duplicates": [],
            "look_alikes": [],
            "emails": {},
            "handraisers": [],
            "reply_intents": {},
        }
        self.counters: dict[str, int] = {}
        self.serials: dict[str, int] = {}
        self.account_of_company: dict[str, str] = {}

    # -- helpers ------------------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.counters[prefix]:04d}"

    def pick(self, items: list[Any], weights: list[float] | None = None) -> Any:
        return self.rng.choices(items, weights=weights, k=1)[0]

    @staticmethod
    def iso(dt: datetime) -> str:
        return dt.isoformat().replace("+00:00", "Z")

    def serial(self, prefix: str) -> int:
        """The next number of a fictional range: unique, so unrelated records never share one.

        Counting instead of drawing keeps the random stream (and so the rest of the data) as it is.
        """
        self.serials[prefix] = self.serials.get(prefix, -1) + 1
        return self.serials[prefix]

    def phone(self, country: str) -> str:
        r = self.rng
        n = r.randint(100, 199)
        if country in ("US", "CA"):
            area = r.choice(["415", "512", "212", "312", "617", "206", "303", "404", "416", "604"])
            n = 100 + self.serial(area)  # 555-0100..0199 is reserved for fiction
            return self.pick(
                [f"+1 ({area}) 555-0{n}", f"{area}-555-0{n}", f"+1 {area} 555 0{n}"],
            )
        if country == "GB":
            return f"+44 20 7946 0{self.serial('GB'):03d}"  # Ofcom's drama range
        if country == "DE":
            return f"+49 30 {r.randint(2000000, 9999999)}"
        if country == "FR":
            return (
                f"+33 1 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {n % 100:02d}"
            )
        if country == "AU":
            return f"+61 2 {r.randint(8000, 9999)} {r.randint(1000, 9999)}"
        return f"+{r.choice(['31', '34', '46', '91', '55', '81', '65', '52'])} {r.randint(10**8, 10**9 - 1)}"

    # -- companies ----------------------------------------------------------------------------

    def make_companies(self, n: int) -> None:
        used: set[str] = set()
        weights = [i[3] for i in INDUSTRIES]
        cweights = [c[2] for c in COUNTRIES]
        while len(self.companies) < n:
            industry, sector, words, _ = self.pick(INDUSTRIES, weights)
            stem = self.rng.choice(STEMS)
            word = self.rng.choice(words)
            base = f"{stem} {word}"
            if base in used:
                continue
            used.add(base)
            code, variants, _, suffixes, tld, cities = self.pick(COUNTRIES, cweights)
            city, state = self.rng.choice(cities)
            employees = int(math.exp(self.rng.uniform(math.log(8), math.log(60000))))
            slug = (stem + word.split()[0]).lower()
            domain = f"{slug}.{tld}"
            self.companies.append(
                {
                    "base": base,
                    "name": f"{base} {self.rng.choice(suffixes)}",
                    "industry": industry,
                    "sector": sector,
                    "country": code,
                    "country_written": self.rng.choice(variants),
                    "city": city,
                    "state": state,
                    "employees": employees,
                    "revenue": round(employees * self.rng.uniform(80_000, 320_000), -3),
                    "domain": domain,
                    "website": self.pick(
                        [f"https://www.{domain}", f"www.{domain}", f"https://{domain}/"]
                    ),
                }
            )
            self.dns[domain] = {"mx": [f"mx1.{domain}", f"mx2.{domain}"]}

    def company_fit(self, c: dict[str, Any]) -> float:
        fit = 0.0
        fit += (
            1.3
            if c["sector"] in ("tech", "fin", "health")
            else (-1.0 if c["sector"] == "gov" else 0)
        )
        fit += 0.9 if c["employees"] >= 500 else (-0.6 if c["employees"] < 50 else 0)
        fit += 0.6 if c["country"] in REGION_FIT else 0
        return fit

    def make_account(
        self, c: dict[str, Any], created: datetime, owner: str, lead_id: str | None
    ) -> str:
        if c["base"] in self.account_of_company:
            return str(self.account_of_company[c["base"]])
        aid = self.next_id("A")
        self.accounts.append(
            {
                "id": aid,
                "name": c["name"],
                "website": f"https://www.{c['domain']}",
                "industry": c["industry"],
                "employee_count": c["employees"],
                "annual_revenue": c["revenue"],
                "phones": [{"number": self.phone(c["country"]), "kind": "business"}],
                "address": {
                    "city": c["city"],
                    "state": c["state"],
                    "country": c["country_written"],
                },
                "owner_id": owner,
                "originating_lead_id": lead_id,
                "created_at": self.iso(created),
                "modified_at": self.iso(created + timedelta(days=self.rng.randint(0, 30))),
            }
        )
        self.account_of_company[c["base"]] = aid
        return aid

    # -- people -------------------------------------------------------------------------------

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def work_email(self, first: str, last: str, domain: str) -> str:
        f = first.lower().translate(str.maketrans("éèüöäñíó", "eeuoanio"))
        lname = last.lower().replace("'", "").translate(str.maketrans("éèüöäñíó", "eeuoanio"))
        pattern = self.rng.choice(["{f}.{l}", "{f0}{l}", "{f}", "{f}_{l}"])
        return pattern.format(f=f, l=lname, f0=f[0]) + "@" + domain

    def title(self, decision_bias: float) -> tuple[str, int]:
        roll = self.rng.random()
        if roll < 0.30 + decision_bias:
            return self.rng.choice(TITLES_DECISION), 2
        if roll < 0.80:
            return self.rng.choice(TITLES_MID), 1
        return self.rng.choice(TITLES_JUNIOR), 0

    def unused_person(self, first: str, last: str, domain: str) -> tuple[str, str]:
        """The drawn name, or the next first name in the list when someone of that name already
        works at the company: two unrelated leads with one name and employer would be an
        accidental duplicate. Choosing, not drawing, keeps the random stream as it is."""
        i = FIRST_NAMES.index(first)
        while (first, last, domain) in self.people:
            i = (i + 1) % len(FIRST_NAMES)
            first = FIRST_NAMES[i]
        self.people.add((first, last, domain))
        return first, last

    def base_lead(self, created: datetime, company: dict[str, Any] | None = None) -> dict[str, Any]:
        c = company or self.rng.choice(self.companies)
        first, last = self.unused_person(*self.person(), c["domain"])
        title, seniority = self.title(0.0)
        handraiser = self.rng.random() < 0.3
        source = self.rng.choice(SOURCES_HAND) if handraiser else self.rng.choice(SOURCES_OTHER)
        need_fit = self.rng.random() < 0.6
        lead: dict[str, Any] = {
            "id": self.next_id("L"),
            "first_name": first,
            "last_name": last,
            "job_title": title,
            "email": self.work_email(first, last, c["domain"]),
            "phones": [
                {"number": self.phone(c["country"]), "kind": self.pick(["business", "mobile"])}
            ],
            "company_name": c["name"] if self.rng.random() > 0.15 else c["base"],
            "website": c["website"] if self.rng.random() > 0.25 else None,
            "industry": c["industry"] if self.rng.random() > 0.12 else None,
            "employee_count": c["employees"] if self.rng.random() > 0.2 else None,
            "annual_revenue": c["revenue"] if self.rng.random() > 0.5 else None,
            "address": {"city": c["city"], "state": c["state"], "country": c["country_written"]}
            if self.rng.random() > 0.1
            else None,
            "lead_source": source,
            "campaign": self.rng.choice(CAMPAIGNS) if source == "Campaign" else None,
            "topic": self.rng.choice(TOPICS),
            "need": self.rng.choice(NEEDS_FIT if need_fit else NEEDS_OTHER)
            if self.rng.random() > 0.2
            else None,
            "line_of_business": "Enterprise" if c["employees"] >= 1000 else "Commercial",
            "created_at": self.iso(created),
            "owner_id": self.rng.choice(SELLER_IDS),
            "custom_fields": {
                "preferred_language": self.pick(["en", "de", "fr", "es"], [6, 1, 1, 1])
            },
        }
        lead["_company"] = c
        lead["_fit"] = (
            self.company_fit(c)
            + (1.0 if seniority == 2 else (-0.9 if seniority == 0 else 0))
            + (0.8 if handraiser else 0)
            + (0.4 if need_fit else -0.3)
        )
        return lead

    # -- closed history -----------------------------------------------------------------------

    def make_history(self, n: int) -> None:
        for _ in range(n):
            created = AS_OF - timedelta(days=self.rng.uniform(35, 790))
            lead = self.base_lead(created)
            if self.rng.random() < 0.12:
                domain = self.rng.choice(PERSONAL_DOMAINS)
                lead["email"] = self.work_email(lead["first_name"], lead["last_name"], domain)
                lead["_fit"] -= 0.8
            p = 1 / (1 + math.exp(-(lead["_fit"] - 2.3 + self.rng.gauss(0, 0.7))))
            qualified = self.rng.random() < p
            closed = created + timedelta(days=self.rng.uniform(3, 30))
            lead["closed_at"] = self.iso(closed)
            lead["modified_at"] = self.iso(closed)
            c = lead["_company"]
            if qualified:
                lead["status"] = "qualified"
                lead["status_reason"] = "Qualified"
                aid = self.make_account(c, closed, lead["owner_id"], lead["id"])
                cid = self.next_id("C")
                self.contacts.append(
                    {
                        "id": cid,
                        "first_name": lead["first_name"],
                        "last_name": lead["last_name"],
                        "job_title": lead["job_title"],
                        "email": lead["email"],
                        "phones": lead["phones"],
                        "account_id": aid,
                        "owner_id": lead["owner_id"],
                        "originating_lead_id": lead["id"],
                        "created_at": self.iso(closed),
                    }
                )
                lead["account_id"], lead["contact_id"] = aid, cid
                outcome = self.pick(["won", "lost", "open"], [0.45, 0.35, 0.2])
                value = round(self.rng.uniform(12_000, 240_000), -2)
                close_date = closed + timedelta(days=self.rng.uniform(20, 120))
                if outcome == "open":
                    close_date = AS_OF + timedelta(days=self.rng.uniform(10, 90))
                self.opportunities.append(
                    {
                        "id": self.next_id("O"),
                        "name": f"{c['base']} - Revenue Cloud",
                        "status": outcome,
                        "stage": {"won": "close", "lost": "close"}.get(
                            outcome, self.rng.choice(["develop", "propose"])
                        ),
                        "estimated_value": value,
                        "actual_value": value if outcome == "won" else None,
                        "close_date": self.iso(close_date),
                        "account_id": aid,
                        "contact_id": cid,
                        "originating_lead_id": lead["id"],
                        "owner_id": lead["owner_id"],
                        "line_of_business": lead["line_of_business"],
                        "created_at": self.iso(closed),
                    }
                )
            else:
                lead["status"] = "disqualified"
                lead["status_reason"] = self.pick(
                    ["No longer interested", "Cannot contact", "Lost", "Canceled", "Not a fit"]
                )
            self.outbound_email(lead, created + timedelta(hours=self.rng.uniform(2, 48)))
            self.leads.append(lead)

    # -- activities ---------------------------------------------------------------------------

    def seller_email(self, seller_id: str) -> str:
        name = next(s[1] for s in SELLERS if s[0] == seller_id)
        return name.lower().replace(" ", ".") + "@tailspin-analytics.example"

    def regarding(self, lead: dict[str, Any]) -> dict[str, str]:
        return {"kind": "lead", "id": lead["id"]}

    def outbound_email(self, lead: dict[str, Any], at: datetime) -> str:
        mid = f"<{self.next_id('M').lower()}@tailspin-analytics.example>"
        self.activities.append(
            {
                "kind": "email",
                "id": self.next_id("E"),
                "regarding": self.regarding(lead),
                "owner_id": lead["owner_id"],
                "subject": f"{lead['company_name']} and Tailspin Revenue Cloud",
                "direction": "outbound",
                "from_address": self.seller_email(lead["owner_id"]),
                "to_addresses": [lead["email"]] if lead.get("email") else [],
                "body": (
                    f"Hi {lead['first_name']},\n\nThanks for your interest in Tailspin. Teams like "
                    f"yours use Revenue Cloud to forecast with confidence and spend less time on "
                    f"CRM data entry. Would a 20-minute call next week be useful?\n\nBest,\n"
                    f"{next(s[1] for s in SELLERS if s[0] == lead['owner_id'])}"
                ),
                "sent_at": self.iso(at),
                "message_id": mid,
            }
        )
        return mid

    def inbound_email(
        self, lead: dict[str, Any], at: datetime, subject: str, body: str, reply_to: str | None
    ) -> None:
        self.activities.append(
            {
                "kind": "email",
                "id": self.next_id("E"),
                "regarding": self.regarding(lead),
                "owner_id": lead["owner_id"],
                "subject": subject,
                "direction": "inbound",
                "from_address": lead["email"],
                "to_addresses": [self.seller_email(lead["owner_id"])],
                "body": body,
                "sent_at": self.iso(at),
                "message_id": f"<{self.next_id('M').lower()}@mail.example>",
                "in_reply_to": reply_to,
            }
        )

    def reply_body(self, intent: str, lead: dict[str, Any], sent: datetime) -> str:
        seller = next(s[1] for s in SELLERS if s[0] == lead["owner_id"])
        first = lead["first_name"]
        sig = f"\n\n--\n{first} {lead['last_name']}\n{lead['job_title']}\n{lead['company_name']}"
        quoted = (
            f"\n\nOn {sent:%a, %d %b %Y} at {sent:%H:%M}, {seller} wrote:\n"
            "> Thanks for your interest in Tailspin. Would a 20-minute call next week be useful?\n"
            "> We would love to show you how Revenue Cloud can help."
        )
        greeting = f"Hi {seller.split()[0]},\n\n"
        texts = {
            "meeting_request": [
                "Yes, let's set up a call. Could we meet Tuesday or Wednesday afternoon next week? "
                "I'd like to bring our sales ops lead.",
                "Happy to talk. Can you send me a meeting invite for Thursday at 10am?",
                "This sounds relevant. Let's schedule a demo for my team sometime next week.",
            ],
            "pricing_request": [
                "Before we go further, what does pricing look like for 200 seats? We would need a "
                "discount of at least 15% to get this approved this quarter.",
                "Can you send a quote? We are comparing vendors and price will decide it. Is there a "
                "discount for a two-year commitment?",
            ],
            "information_request": [
                "Could you send more information about how the forecasting works and which CRMs you "
                "integrate with? A case study from our industry would help.",
                "Do you have a product sheet or security documentation I can share internally?",
                "Can you tell me more about the data residency options for Europe?",
            ],
            "not_interested": [
                "Thanks, but we are not interested at this time. Please remove me from your list.",
                "We just signed with another vendor, so this is not a fit. Please unsubscribe me.",
            ],
            "objection": [
                "We already have a BI team building dashboards, so I'm not sure this adds much. "
                "It also seems expensive for a company our size.",
            ],
            "referral": [
                "I'm not the right person for this. Please reach out to our Head of Sales "
                "Operations, Dana Whitfield (dana.whitfield@{domain}), who owns our CRM.",
            ],
        }
        if intent == "out_of_office":
            back = (sent + timedelta(days=self.rng.randint(5, 12))).strftime("%d %B %Y")
            return (
                f"I am out of the office until {back} with limited access to email. For urgent "
                f"matters please contact my colleague at support@{lead['_company']['domain']}."
                + sig
            )
        if intent == "bounce":
            return (
                "This is the mail system at host mx1.example.\n\nI'm sorry to have to inform you "
                "that your message could not be delivered to one or more recipients.\n\n"
                f"<{lead['email']}>: host said: 550 5.1.1 User unknown"
            )
        text = self.rng.choice(texts[intent]).replace("{domain}", lead["_company"]["domain"])
        return greeting + text + sig + quoted

    # -- open leads ---------------------------------------------------------------------------

    def make_open(self, n: int) -> None:
        for _ in range(n):
            created = AS_OF - timedelta(days=self.rng.uniform(0.5, 120))
            lead = self.base_lead(created)
            lead["modified_at"] = self.iso(created + timedelta(hours=self.rng.uniform(0, 24)))
            self.leads.append(lead)

    def plant_threads(self, leads: list[dict[str, Any]]) -> None:
        plan = (
            ["meeting_request"] * 4
            + ["pricing_request"] * 3
            + ["information_request"] * 4
            + ["not_interested"] * 3
            + ["out_of_office"] * 3
            + ["objection"] * 1
            + ["referral"] * 2
            + ["bounce"] * 1
            + [None] * 5
        )
        for lead, intent in zip(leads, plan, strict=False):
            created = datetime.fromisoformat(lead["created_at"])
            sent = min(
                created + timedelta(hours=self.rng.uniform(1, 30)), AS_OF - timedelta(days=3)
            )
            sent = max(sent, created)
            mid = self.outbound_email(lead, sent)
            if intent is None:
                self.truth["reply_intents"][lead["id"]] = "no_reply"
                continue
            at = min(sent + timedelta(hours=self.rng.uniform(2, 60)), AS_OF - timedelta(hours=1))
            subject = (
                "Undelivered Mail Returned to Sender"
                if intent == "bounce"
                else ("Automatic reply: " if intent == "out_of_office" else "RE: ")
                + f"{lead['company_name']} and Tailspin Revenue Cloud"
            )
            body = self.reply_body(intent, lead, sent)
            self.inbound_email(lead, at, subject, body, mid)
            if intent == "bounce":
                self.activities[-1]["from_address"] = "MAILER-DAEMON@mx1.example"
            self.truth["reply_intents"][lead["id"]] = intent

    def plant_handraisers(self, leads: list[dict[str, Any]]) -> None:
        kinds = ["email", "phone_call", "chat", "email", "phone_call", "chat", "email", "chat"]
        for lead, kind in zip(leads, kinds, strict=False):
            created = datetime.fromisoformat(lead["created_at"])
            at = created + timedelta(minutes=self.rng.uniform(1, 60))
            lead["lead_source"] = {
                "email": "Email inquiry",
                "phone_call": "Phone inquiry",
                "chat": "Chat",
            }[kind]
            lead["campaign"] = None
            if kind == "email":
                self.inbound_email(
                    lead,
                    at,
                    "Question about Revenue Cloud",
                    f"Hello,\n\nWe are evaluating forecasting tools for our sales team of about "
                    f"{self.rng.randint(20, 300)} reps. Could someone walk us through Revenue "
                    f"Cloud?\n\nThanks,\n{lead['first_name']}",
                    None,
                )
            elif kind == "phone_call":
                self.activities.append(
                    {
                        "kind": "phone_call",
                        "id": self.next_id("P"),
                        "regarding": self.regarding(lead),
                        "owner_id": lead["owner_id"],
                        "subject": "Inbound call: pricing and demo",
                        "direction": "inbound",
                        "answered": True,
                        "started_at": self.iso(at),
                        "duration_seconds": self.rng.randint(120, 900),
                        "phone_number": lead["phones"][0]["number"],
                        "description": "Asked about a demo for their sales leadership team.",
                    }
                )
            else:
                self.activities.append(
                    {
                        "kind": "chat",
                        "id": self.next_id("H"),
                        "regarding": self.regarding(lead),
                        "owner_id": lead["owner_id"],
                        "subject": "Website chat",
                        "direction": "inbound",
                        "body": "Hi, do you integrate with our CRM and can I see a demo?",
                        "sent_at": self.iso(at),
                    }
                )
            self.truth["handraisers"].append(lead["id"])

    def plant_meetings_calls_notes(self, leads: list[dict[str, Any]]) -> None:
        for i, lead in enumerate(leads):
            created = datetime.fromisoformat(lead["created_at"])
            if i % 3 == 0:  # a past meeting
                start = min(
                    created + timedelta(days=self.rng.uniform(1, 10)), AS_OF - timedelta(days=1)
                )
                self.activities.append(
                    {
                        "kind": "appointment",
                        "id": self.next_id("AP"),
                        "regarding": self.regarding(lead),
                        "owner_id": lead["owner_id"],
                        "subject": "Discovery call",
                        "start": self.iso(start),
                        "end": self.iso(start + timedelta(minutes=30)),
                        "attendees": [lead["email"], self.seller_email(lead["owner_id"])],
                        "status": "completed",
                    }
                )
            elif i % 3 == 1:  # an upcoming meeting
                start = AS_OF + timedelta(days=self.rng.uniform(1, 14))
                self.activities.append(
                    {
                        "kind": "appointment",
                        "id": self.next_id("AP"),
                        "regarding": self.regarding(lead),
                        "owner_id": lead["owner_id"],
                        "subject": "Revenue Cloud demo",
                        "start": self.iso(start),
                        "end": self.iso(start + timedelta(minutes=45)),
                        "attendees": [lead["email"], self.seller_email(lead["owner_id"])],
                        "status": "scheduled",
                    }
                )
            else:  # an unanswered outbound call
                at = min(
                    created + timedelta(days=self.rng.uniform(0.2, 5)), AS_OF - timedelta(hours=2)
                )
                self.activities.append(
                    {
                        "kind": "phone_call",
                        "id": self.next_id("P"),
                        "regarding": self.regarding(lead),
                        "owner_id": lead["owner_id"],
                        "subject": "Follow-up call",
                        "direction": "outbound",
                        "answered": False,
                        "started_at": self.iso(at),
                        "phone_number": lead["phones"][0]["number"],
                    }
                )
            self.notes.append(
                {
                    "id": self.next_id("N"),
                    "regarding": self.regarding(lead),
                    "title": "Context",
                    "text": self.pick(
                        [
                            "Met at the booth; interested in forecasting accuracy.",
                            "Uses a homegrown CRM; contract renewal in Q2.",
                            "Asked for the security whitepaper.",
                        ]
                    ),
                    "author_id": lead["owner_id"],
                    "created_at": self.iso(created + timedelta(hours=1)),
                    "attachments": [
                        {
                            "filename": "requirements.pdf",
                            "mime_type": "application/pdf",
                            "size_bytes": 184_320,
                        }
                    ]
                    if i % 4 == 0
                    else [],
                }
            )
            self.activities.append(
                {
                    "kind": "task",
                    "id": self.next_id("T"),
                    "regarding": self.regarding(lead),
                    "owner_id": lead["owner_id"],
                    "subject": "Send the forecasting case study",
                    "due": self.iso(AS_OF + timedelta(days=self.rng.randint(-3, 7))),
                    "status": self.pick(["open", "completed"]),
                    "created_at": self.iso(created + timedelta(hours=2)),
                }
            )

    # -- planted email problems and duplicates -------------------------------------------------

    def plant_emails(self, leads: list[dict[str, Any]]) -> None:
        it = iter(leads)
        emails = self.truth["emails"]

        def take(kind: str, value: str) -> None:
            lead = next(it)
            lead["email"] = value
            emails.setdefault(kind, []).append(lead["id"])

        take("invalid_syntax", "maria.garcia@@northgate-health.com")
        take("invalid_syntax", "no-at-sign.example.com")
        take("invalid_syntax", "dmitri.novak@localhost")
        take("disposable", "quick.trial@mailinator.com")
        take("disposable", "signup2026@guerrillamail.com")
        for domain in [
            "gmail.com",
            "outlook.com",
            "yahoo.com",
            "gmx.de",
            "icloud.com",
            "hotmail.com",
        ]:
            lead = next(it)
            lead["email"] = self.work_email(lead["first_name"], lead["last_name"], domain)
            emails.setdefault("personal", []).append(lead["id"])
        take("typo", "sam.carter@gmial.com")
        take("typo", "priya.shah@outlok.com")
        lead = next(it)
        lead["email"] = "info@" + lead["_company"]["domain"]
        emails.setdefault("role", []).append(lead["id"])
        lead = next(it)
        lead["email"] = "sales@" + lead["_company"]["domain"]
        emails.setdefault("role", []).append(lead["id"])
        take("privacy_relay", "x7k2p9qz4m@privaterelay.appleid.com")
        lead = next(it)
        other = next(c for c in self.companies if c["domain"] != lead["_company"]["domain"])
        lead["email"] = self.work_email(lead["first_name"], lead["last_name"], other["domain"])
        emails.setdefault("domain_mismatch", []).append(lead["id"])
        lead = next(it)
        lead["email"] = f"{lead['first_name'].lower()}@defunct-widgets-corp.com"
        self.dns["defunct-widgets-corp.com"] = {"nxdomain": True}
        emails.setdefault("no_domain", []).append(lead["id"])
        lead = next(it)
        lead["email"] = f"{lead['first_name'].lower()}@parked-null-mx.net"
        self.dns["parked-null-mx.net"] = {"null_mx": True}
        emails.setdefault("null_mx", []).append(lead["id"])
        lead = next(it)
        lead["email"] = None
        emails.setdefault("missing", []).append(lead["id"])
        for d, mx in [
            ("gmail.com", "gmail-smtp-in.l.google.com"),
            ("outlook.com", "outlook-com.olc.protection.outlook.com"),
            ("hotmail.com", "hotmail-com.olc.protection.outlook.com"),
            ("yahoo.com", "mta5.am0.yahoodns.net"),
            ("gmx.de", "mx00.emig.gmx.net"),
            ("icloud.com", "mx01.mail.icloud.com"),
            ("mailinator.com", "mail.mailinator.com"),
            ("guerrillamail.com", "mx.guerrillamail.com"),
            ("privaterelay.appleid.com", "mx01.mail.icloud.com"),
        ]:
            self.dns[d] = {"mx": [mx]}
        self.dns["gmial.com"] = {"nxdomain": True}
        self.dns["outlok.com"] = {"a": ["198.51.100.23"]}

    def clone_open(self, original: dict[str, Any], **changes: Any) -> dict[str, Any]:
        created = AS_OF - timedelta(days=self.rng.uniform(0.5, 60))
        dup = {k: v for k, v in original.items()}
        dup.update(
            {
                "id": self.next_id("L"),
                "created_at": self.iso(created),
                "modified_at": self.iso(created + timedelta(hours=1)),
                "status": "open",
                "status_reason": None,
                "closed_at": None,
                "account_id": None,
                "contact_id": None,
                "lead_source": self.rng.choice(SOURCES_OTHER),
                "campaign": None,
            }
        )
        dup.update(changes)
        self.leads.append(dup)
        return dup

    def plant_duplicates(self, pool: list[dict[str, Any]]) -> None:
        it = iter(pool)
        dups = self.truth["duplicates"]
        # same email, written differently, different name spelling and phone
        for _ in range(3):
            a = next(it)
            local, _, dom = a["email"].partition("@")
            b = self.clone_open(
                a,
                email=local.title() + "@" + dom.upper(),
                phones=[{"number": self.phone(a["_company"]["country"]), "kind": "mobile"}],
                job_title=self.rng.choice(TITLES_MID),
            )
            dups.append({"kind": "same_email", "lead_ids": [a["id"], b["id"]]})
        # same phone, written differently; other email (personal), name unchanged
        for _ in range(3):
            a = next(it)
            a["address"] = {"city": "Austin", "state": "TX", "country": "United States"}
            self.rng.randint(10, 99)  # still drawn, so the rest of the data stays as it was
            number = f"+1 (512) 555-0{100 + self.serial('512')}"
            a["phones"] = [{"number": number, "kind": "business"}]
            digits = "".join(ch for ch in a["phones"][0]["number"] if ch.isdigit())[1:]
            written = f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"
            b = self.clone_open(
                a,
                email=self.work_email(a["first_name"], a["last_name"], "gmail.com"),
                phones=[{"number": written, "kind": "mobile"}],
                company_name=None,
                address={"city": "Austin", "state": "TX", "country": "US"},
            )
            dups.append({"kind": "same_phone", "lead_ids": [a["id"], b["id"]]})
        # similar name and company name; different email and phone
        variants = [("Jonathan", "Jon"), ("Robert", "Bob"), ("Elizabeth", "Liz")]
        for formal, nick in variants:
            a = next(it)
            c = a["_company"]
            a["email"] = renamed_email(a["email"], a["first_name"], formal)
            a["first_name"] = formal
            a["company_name"] = c["name"]
            b = self.clone_open(
                a,
                first_name=nick,
                last_name=a["last_name"],
                company_name=c["base"].upper() if formal == "Robert" else c["base"] + " Group",
                email=None
                if formal == "Jonathan"
                else self.work_email(nick, a["last_name"], "outlook.com"),
                phones=[],
            )
            dups.append({"kind": "similar_name_company", "lead_ids": [a["id"], b["id"]]})
        # similar name and the same email domain; company name missing or different wording
        for formal, nick in [("Katherine", "Kathy"), ("William", "Bill"), ("Margaret", "Maggie")]:
            a = next(it)
            a["first_name"] = formal
            c = a["_company"]
            a["email"] = (
                f"{formal.lower()}.{a['last_name'].lower().replace(chr(39), '')}@{c['domain']}"
            )
            a["email"] = a["email"].translate(str.maketrans("éèüöäñíó", "eeuoanio"))
            b = self.clone_open(
                a,
                first_name=nick,
                email=f"{nick[0].lower()}{a['last_name'].lower().replace(chr(39), '')}@{c['domain']}".translate(
                    str.maketrans("éèüöäñíó", "eeuoanio")
                ),
                company_name=None,
                phones=[],
            )
            dups.append({"kind": "similar_name_domain", "lead_ids": [a["id"], b["id"]]})
        # look-alikes that are NOT duplicates: same surname and company, different person
        for _ in range(2):
            a = next(it)
            first = self.rng.choice([n for n in FIRST_NAMES if n[0] != a["first_name"][0]])
            b = self.clone_open(
                a,
                first_name=first,
                email=self.work_email(first, a["last_name"] + "x", a["_company"]["domain"]),
                phones=[{"number": self.phone(a["_company"]["country"]), "kind": "business"}],
            )
            self.truth["look_alikes"].append([a["id"], b["id"]])

    def make_customers(self, n: int) -> None:
        """Existing accounts with contacts that were not created from leads (older customers)."""
        for c in self.rng.sample(self.companies, n):
            created = AS_OF - timedelta(days=self.rng.uniform(400, 1500))
            aid = self.make_account(c, created, self.rng.choice(SELLER_IDS), None)
            for _ in range(self.rng.randint(1, 3)):
                first, last = self.person()
                title, _ = self.title(0.2)
                self.contacts.append(
                    {
                        "id": self.next_id("C"),
                        "first_name": first,
                        "last_name": last,
                        "job_title": title,
                        "email": self.work_email(first, last, c["domain"]),
                        "phones": [{"number": self.phone(c["country"]), "kind": "business"}],
                        "account_id": aid,
                        "owner_id": self.rng.choice(SELLER_IDS),
                        "created_at": self.iso(created + timedelta(days=self.rng.uniform(0, 60))),
                    }
                )

    def link_open_to_accounts(self, leads: list[dict[str, Any]]) -> None:
        """Link some open leads at known companies to their account (and one to a contact)."""
        linked = 0
        for lead in leads:
            aid = self.account_of_company.get(lead["_company"]["base"])
            if aid and linked < 10:
                lead["account_id"] = aid
                linked += 1
                if linked == 1:
                    contact = next(c for c in self.contacts if c["account_id"] == aid)
                    lead["contact_id"] = contact["id"]

    # -- assembly -----------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        self.make_companies(110)
        self.make_customers(18)
        self.make_history(165)
        # a few leads older than two years: closed, plus two stale open leads
        for days in (800, 850, 900):
            lead = self.base_lead(AS_OF - timedelta(days=days))
            lead["status"] = "disqualified"
            lead["status_reason"] = "Lost"
            lead["closed_at"] = self.iso(AS_OF - timedelta(days=days - 20))
            lead["modified_at"] = lead["closed_at"]
            self.leads.append(lead)
        for days in (760, 820):
            lead = self.base_lead(AS_OF - timedelta(days=days))
            lead["modified_at"] = self.iso(AS_OF - timedelta(days=days - 5))
            self.leads.append(lead)
        self.truth["stale_open"] = [lead["id"] for lead in self.leads[-2:]]
        start = len(self.leads)
        self.make_open(70)
        opened = self.leads[start:]
        self.rng.shuffle(opened)
        self.plant_threads(opened[0:26])
        self.plant_handraisers(opened[26:34])
        self.plant_meetings_calls_notes(opened[34:46])
        self.plant_emails(opened[46:66])
        closed_pool = [
            lead for lead in self.leads[:start] if lead.get("email") and "@" in lead["email"]
        ]
        self.plant_duplicates(closed_pool[-6:] + opened[66:70] + closed_pool[:4])
        self.link_open_to_accounts(opened)
        for lead in self.leads:
            if lead.get("status", "open") == "open" and lead.get("lead_source") in (
                "Web form",
                "Campaign",
            ):
                if lead["id"] not in self.truth["handraisers"]:
                    self.truth["handraisers"].append(lead["id"])
        sellers = [
            {
                "id": sid,
                "name": name,
                "email": self.seller_email(sid)
                if sid != "S-05"
                else "casey.novak@tailspin-analytics.example",
                "roles": [role],
                "team": team,
                "title": "Account Executive" if role == "Salesperson" else "Director of Sales",
            }
            for sid, name, role, team in SELLERS
        ]
        leads = [{k: v for k, v in lead.items() if not k.startswith("_")} for lead in self.leads]
        crm = {
            "leads": leads,
            "contacts": self.contacts,
            "accounts": self.accounts,
            "opportunities": self.opportunities,
            "activities": self.activities,
            "notes": self.notes,
            "sellers": sellers,
        }
        CrmSnapshot.model_validate(crm)  # fail here, not at load time
        return {"as_of": self.iso(AS_OF), "crm": crm, "dns": self.dns, "truth": self.truth}


def renamed_email(email: str | None, old_first: str, new_first: str) -> str | None:
    """The address with the first name in its local part changed as the person's was, so that
    an address never names somebody else ("margaret_cohen@" for Robert Cohen)."""
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    old = old_first.lower().translate(str.maketrans("éèüöäñíó", "eeuoanio"))
    new = new_first.lower().translate(str.maketrans("éèüöäñíó", "eeuoanio"))
    if local.startswith(old):
        local = new + local[len(old) :]
    elif local[:1] == old[:1]:
        local = new[0] + local[1:]
    return f"{local}@{domain}"


CONFIG: dict[str, Any] = {
    "company": {
        "name": "Tailspin Analytics",
        "website": "https://www.tailspin-analytics.example",
        "description": "Tailspin Analytics builds revenue intelligence software for B2B sales teams.",
    },
    "products": [
        {
            "name": "Tailspin Revenue Cloud",
            "description": (
                "A revenue intelligence platform that sits on top of your CRM: AI pipeline "
                "forecasting, lead prioritisation, activity capture that ends manual data entry, "
                "and a single view of every customer across sales and service."
            ),
            "value_propositions": [
                "Forecast accuracy within 5% by week six of the quarter",
                "Reps get back four hours a week of CRM data entry",
                "Every lead prioritised by fit and intent, with the reasons",
            ],
            "pain_points": [
                "unreliable pipeline forecasts",
                "manual CRM data entry",
                "no single view of the customer",
                "slow lead response time",
                "spreadsheet territory and quota planning",
                "poor lead prioritisation",
            ],
            "proof_points": [
                "Northwind Traders cut forecast error from 18% to 4% in two quarters",
            ],
        }
    ],
    "icp": {
        "name": "Mid-market and enterprise revenue teams",
        "characteristics": [
            {
                "name": "Industry",
                "kind": "categorical",
                "targets": ["Technology", "Financial Services", "Healthcare"],
                "exclude": ["Government"],
                "fields": ["account.industry", "lead.industry"],
                "weight": 3,
            },
            {
                "name": "Company size",
                "kind": "numeric_range",
                "targets": ["500+"],
                "fields": ["account.employee_count", "lead.employee_count"],
                "weight": 2,
            },
            {
                "name": "Location",
                "kind": "location",
                "targets": ["North America", "Europe"],
                "fields": ["account.address.country", "lead.address.country"],
                "weight": 1,
            },
            {
                "name": "Decision maker",
                "kind": "job_title",
                "targets": ["CIO", "CTO", "Head of Sales"],
                "fields": ["lead.job_title", "contact.job_title"],
                "weight": 2,
            },
            {
                "name": "Pain points",
                "kind": "need",
                "targets": [
                    "unreliable pipeline forecasts",
                    "manual CRM data entry",
                    "no single view of the customer",
                    "slow lead response time",
                ],
                "fields": ["lead.need", "lead.topic", "lead.description"],
                "field_mode": "any",
                "weight": 1,
            },
        ],
    },
    "handraisers": [
        {
            "name": "Marketing campaign and web form",
            "match": "any",
            "conditions": [
                {
                    "type": "field",
                    "field": "lead.lead_source",
                    "op": "in",
                    "value": ["Web form", "Campaign"],
                },
                {"type": "field", "field": "lead.campaign", "op": "exists"},
            ],
        },
        {
            "name": "Direct inquiries",
            "description": "The lead reached out by phone, email or chat.",
            "match": "any",
            "conditions": [
                {
                    "type": "field",
                    "field": "lead.lead_source",
                    "op": "in",
                    "value": ["Phone inquiry", "Email inquiry", "Chat"],
                },
                {
                    "type": "activity",
                    "kinds": ["email", "phone_call", "chat"],
                    "direction": "inbound",
                    "within_days": 30,
                },
            ],
        },
    ],
    "consent": {
        "web_research": False,
        "read_emails": True,
        "llm_drafting": False,
        "granted_by": "S-05",
        "granted_at": "2026-10-01T09:00:00Z",
    },
}


def main() -> None:
    """Write the sample CRM and configuration (or check they are current with ``--check``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are out of date")
    args = parser.parse_args()
    data = json.dumps(Gen(SEED).build(), indent=1, ensure_ascii=False) + "\n"
    AgentConfig.model_validate(CONFIG)
    import yaml

    config = (
        "# Configuration of the fictional vendor in the bundled sample CRM.\n"
        "# Generated by scripts/generate_sample.py.\n"
        + yaml.safe_dump(CONFIG, sort_keys=False, allow_unicode=True)
    )
    targets = {OUT / "sample_crm.json": data, OUT / "sample_config.yaml": config}
    if args.check:
        stale = [p.name for p, text in targets.items() if p.read_text(encoding="utf-8") != text]
        if stale:
            raise SystemExit(f"out of date: {', '.join(stale)}; run scripts/generate_sample.py")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for p, text in targets.items():
        p.write_text(text, encoding="utf-8")
    print(f"wrote {', '.join(str(p) for p in targets)}")


if __name__ == "__main__":
    main()
