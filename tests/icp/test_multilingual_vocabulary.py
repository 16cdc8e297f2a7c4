"""Industries and job titles written in German, French, Spanish, Portuguese, Italian and Dutch."""

from __future__ import annotations

import pytest
import yaml

from leadqual.icp import DEFAULT_SECTORS, IndustryTaxonomy, parse_title
from leadqual.icp._vocabulary import load

_TAXONOMY = IndustryTaxonomy()


@pytest.mark.parametrize(
    ("written", "sector", "sub_industry"),
    [
        # de
        ("Versicherungen", "Financial Services", "Insurance"),
        ("Versicherungsmakler", "Financial Services", "Insurance"),
        ("Rückversicherung", "Financial Services", "Insurance"),
        ("Krankenversicherung", "Healthcare", "Health Insurance"),
        ("Maschinenbau", "Manufacturing", "Industrial Machinery"),
        ("IT-Dienstleistungen", "Technology", "Information Technology"),
        ("Steuerberatungsgesellschaft", "Financial Services", "Accounting"),
        ("Logistikdienstleister", "Transportation & Logistics", "Logistics"),
        ("Einzelhandel", "Retail", None),
        # fr
        ("Assurances", "Financial Services", "Insurance"),
        ("Banque", "Financial Services", "Banking"),
        ("Industrie pharmaceutique", "Healthcare", "Pharmaceuticals"),
        ("Éditeur de logiciels", "Technology", "Computer Software"),
        ("BTP", "Real Estate & Construction", "Construction"),
        # es
        ("Seguros", "Financial Services", "Insurance"),
        ("Aseguradora", "Financial Services", "Insurance"),
        ("Servicios financieros", "Financial Services", None),
        ("Tecnologías de la información", "Technology", "Information Technology"),
        ("Hostelería", "Hospitality", None),
        # pt
        ("Seguradora", "Financial Services", "Insurance"),
        ("Varejo", "Retail", None),
        ("Telecomunicações", "Telecommunications", "Telecom"),
        ("Saúde", "Healthcare", None),
        # it
        ("Assicurazioni", "Financial Services", "Insurance"),
        ("Edilizia", "Real Estate & Construction", "Construction"),
        ("Consulenza aziendale", "Professional Services", "Management Consulting"),
        # nl
        ("Verzekeringen", "Financial Services", "Insurance"),
        ("Zorgverzekeraar", "Healthcare", "Health Insurance"),
        ("Groothandel", "Retail", "Wholesale"),
        ("Gezondheidszorg", "Healthcare", None),
    ],
)
def test_industries_in_six_languages_resolve(
    written: str, sector: str, sub_industry: str | None
) -> None:
    hit = _TAXONOMY.resolve(written)
    assert hit is not None
    assert (hit.sector, hit.sub_industry) == (sector, sub_industry)


@pytest.mark.parametrize("written", ["Seguridad", "Seguridad privada", "Sicherheitsdienst"])
def test_security_is_not_insurance(written: str) -> None:
    # "Seguridad" (security) and "Seguros" (insurance) share their first letters, nothing else
    hit = _TAXONOMY.resolve(written)
    assert hit is None or hit.sub_industry != "Insurance"


@pytest.mark.parametrize("written", ["Datenbank", "Bauer", "Versand", "Sonstige Dienstleistungen"])
def test_words_that_merely_contain_an_industry_do_not_resolve(written: str) -> None:
    assert _TAXONOMY.resolve(written) is None


def test_every_translation_resolves_to_the_name_it_is_listed_under() -> None:
    parents = {sector: (sector, None) for sector in DEFAULT_SECTORS}
    parents |= {sub: (sector, sub) for sector, subs in DEFAULT_SECTORS.items() for sub in subs}
    wrong = {}
    for name, by_language in load("industries.yaml").items():
        assert name in parents, f"{name!r} is not in the default taxonomy"
        for entry in (e for entries in by_language.values() for e in entries if "*" not in e):
            hit = _TAXONOMY.resolve(entry)
            got = (hit.sector, hit.sub_industry) if hit else None
            if got != parents[name] and not (hit and parents[name][1] is None):
                wrong[entry] = (parents[name], got)
    assert wrong == {}


def test_a_custom_taxonomy_takes_translations_only_for_its_own_names() -> None:
    tax = IndustryTaxonomy(sectors={"Insurance": {"Reinsurance": []}})
    assert tax.resolve("Versicherungen").sector == "Insurance"  # type: ignore[union-attr]
    assert tax.resolve("Banque") is None


@pytest.mark.parametrize(
    ("title", "seniority", "functions"),
    [
        # es
        ("Directora Comercial", 3, {"sales"}),
        ("Jefa de Ventas", 3, {"sales"}),
        ("Gerente de TI", 2, {"it"}),
        ("Directora de Recursos Humanos", 3, {"hr"}),
        ("Responsable de Compras", 2, {"operations"}),
        ("Consejero Delegado", 5, {"executive"}),
        ("Ejecutiva de Cuentas", 1, {"sales"}),
        # de
        ("Geschäftsführerin", 5, {"executive"}),
        ("Vertriebsleiterin", 3, {"sales"}),
        ("Leiterin Einkauf", 3, {"operations"}),
        ("IT-Leiter", 3, {"it"}),
        ("Marketingleiterin", 3, {"marketing"}),
        ("Personalleiterin", 3, {"hr"}),
        ("Kaufmännischer Leiter", 3, {"finance"}),
        ("Teamleiter Vertrieb", 2, {"sales"}),
        ("Key Account Managerin", 2, {"sales"}),
        # fr
        ("Directrice Commerciale", 3, {"sales"}),
        ("Directeur des Achats", 3, {"operations"}),
        ("Directeur des systèmes d'information", 3, {"it"}),
        ("Responsable Marketing", 2, {"marketing"}),
        ("Chef de projet informatique", 2, {"it"}),
        ("Président Directeur Général", 5, {"executive"}),
        # pt
        ("Diretora Comercial", 3, {"sales"}),
        ("Diretor de Vendas", 3, {"sales"}),
        ("Diretora Financeira", 3, {"finance"}),
        ("Gerente de Recursos Humanos", 2, {"hr"}),
        # it
        ("Direttore Commerciale", 3, {"sales"}),
        ("Direttrice Vendite", 3, {"sales"}),
        ("Responsabile Acquisti", 2, {"operations"}),
        ("Amministratore Delegato", 5, {"executive"}),
        ("Responsabile Risorse Umane", 2, {"hr"}),
        # nl
        ("Commercieel Directeur", 3, {"sales"}),
        ("Hoofd Inkoop", 3, {"operations"}),
        ("Financieel Directeur", 3, {"finance"}),
        ("Algemeen Directeur", 5, {"executive"}),
        ("Teamleider Klantenservice", 2, {"customer"}),
    ],
)
def test_titles_in_six_languages_read_as_seniority_and_function(
    title: str, seniority: int, functions: set[str]
) -> None:
    info = parse_title(title)
    assert (info.seniority, set(info.functions)) == (seniority, functions)


@pytest.mark.parametrize(
    "title",
    [
        "Vertriebsassistentin",  # a sales assistant
        "Assistentin der Geschäftsführung",
        "Assistante de direction",
        "Asistente de Dirección",
        "Werkstudent Marketing",
        "Stagiaire Marketing",
        "Estagiária de Marketing",
        "Stagista",
        "Teamleiter Vertrieb",  # a team lead, not a head of department
        "Chef de projet",
    ],
)
def test_assistants_interns_and_team_leads_are_not_decision_makers(title: str) -> None:
    assert not parse_title(title).is_decision_maker


def test_personal_alone_is_not_human_resources() -> None:
    # German and Spanish "Personal" is staff; English "Personal Banker" is not HR
    assert "hr" not in parse_title("Personal Banker").functions
    assert "hr" in parse_title("Leiter Personal").functions


def test_vice_president_is_not_the_president_in_any_language() -> None:
    for title in ("Vice President", "Vicepresidente Comercial", "Vizepräsident Vertrieb"):
        assert parse_title(title).seniority == 4, title


def test_vocabulary_files_are_valid_yaml_shipped_with_the_package() -> None:
    titles = load("titles.yaml")
    assert {"seniority", "executive", "assistant", "functions"} <= set(titles)
    assert all(isinstance(rule["level"], int) for rule in titles["seniority"])
    assert yaml.safe_dump(load("industries.yaml"))
