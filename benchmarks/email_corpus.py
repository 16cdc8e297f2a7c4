"""Agreement of the EmailValidator's syntax verdicts with the external corpus in
``shared/data/email/corpus.csv`` (its ``sales_policy`` column), overall and per source, with each
disagreement and the documented policy choice behind it.

Run: ``.venv/bin/python benchmarks/email_corpus.py``
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable

import email_validator
from _common import SHARED_DATA, median_seconds, write_results

from leadqual.email import EmailValidator

CORPUS = SHARED_DATA / "email" / "corpus.csv"

# Why the validator's documented policy (docs/email.md) differs from a corpus row, by the reason
# code that refused it. A row the validator accepts and the corpus rejects is never a policy
# choice: it shows as "accepted", unexplained.
POLICY = {
    "reserved_domain": "RFC 2606 documentation domain: refused by the documented policy "
    "(the corpus README also lists example.* as refused, but these rows accept it)",
    "dotless_domain": "no dot in the domain: refused by the documented policy (ICANN has "
    "prohibited dotless mail domains since 2013)",
    "invalid_domain": "not valid IDNA: 'xn--example' decodes to disallowed code points, so no "
    "registry can delegate it",
    "invalid_tld": "a top-level label with a digit or a hyphen ('co-uk', 'x2', 'x123'): no "
    "top-level domain has that shape, so the address cannot be delivered; the corpus accepts "
    "the syntax and leaves deliverability to live DNS, which answers NXDOMAIN",
    "display_name": "display-name form ('Name <addr>'): refused as a field value, the bare "
    "address is offered as the suggestion (the corpus README refuses display names too)",
}


def load() -> list[dict[str, str]]:
    with CORPUS.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def expected(row: dict[str, str]) -> bool:
    return row["sales_policy"].startswith("accept")


_DOCUMENTATION = re.compile(r"@(?:[^@]*\.)?(?:example\.(?:com|net|org)|[^@]*\.example)$", re.I)


def contradicts_readme(row: dict[str, str]) -> bool:
    """An accept row for what the README says the policy refuses (example.*, display names)."""
    address = row["address"]
    display_name = address.rstrip().endswith(">") and "<" in address
    return expected(row) and (bool(_DOCUMENTATION.search(address)) or display_name)


def plain(address: str) -> bool:
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def score(
    rows: list[dict[str, str]], verdict: Callable[[str], tuple[bool, str]]
) -> tuple[int, dict[str, tuple[int, int]], list[tuple[dict[str, str], str]]]:
    agree = 0
    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[tuple[dict[str, str], str]] = []
    for row in rows:
        ok, code = verdict(row["address"])
        src = row["source"].split(" ")[0]
        per_source[src][1] += 1
        if ok == expected(row):
            agree += 1
            per_source[src][0] += 1
        else:
            misses.append((row, code))
    return agree, {k: (v[0], v[1]) for k, v in per_source.items()}, misses


def main() -> int:
    rows = load()
    default = EmailValidator(check_deliverability=False)
    lenient = EmailValidator(check_deliverability=False, allow_reserved_domains=True)

    def ours(validator: EmailValidator) -> Callable[[str], tuple[bool, str]]:
        def verdict(address: str) -> tuple[bool, str]:
            check = validator.validate(address)
            if check.is_valid:
                return True, "accepted"
            return False, check.reason_codes[0]

        return verdict

    runs = {
        "email-validator 2.4, default options (reference)": lambda a: (plain(a), "-"),
        "leadqual EmailValidator, default policy": ours(default),
        "leadqual EmailValidator, allow_reserved_domains=True": ours(lenient),
    }
    n = len(rows)
    lines = [
        f"Corpus: {CORPUS.name}, {n} rows; a row counts as valid when `sales_policy` starts "
        "with `accept`. Syntax only (no DNS).",
        "",
    ]
    lines += ["| configuration | agree | agreement | disagreements |", "|---|---|---|---|"]
    results = {}
    for name, verdict in runs.items():
        agree, per_source, misses = score(rows, verdict)
        results[name] = (agree, per_source, misses)
        lines.append(f"| {name} | {agree}/{n} | {agree / n:.2%} | {n - agree} |")

    agree, per_source, misses = results["leadqual EmailValidator, default policy"]
    unexplained = [m for m in misses if m[1] not in POLICY]
    lines += [
        "",
        "Per source (default policy):",
        "",
        "| source | agree | rows | agreement |",
        "|---|---|---|---|",
    ]
    for src, (a, total) in sorted(per_source.items()):
        lines.append(f"| {src} | {a} | {total} | {a / total:.2%} |")
    lines += ["", "Disagreements of the default policy, each from a documented policy choice:", ""]
    by_code: Counter[str] = Counter(code for _, code in misses)
    for code, count in by_code.most_common():
        lines.append(f"- `{code}` ({count}): {POLICY.get(code, 'UNEXPLAINED')}")
        for row, c in misses:
            if c == code:
                lines.append(
                    f"  - {row['address']!r} ({row['source'].split(' ')[0]}; corpus: "
                    f"{row['sales_policy']})"
                )
    lines += [
        "",
        f"Unexplained disagreements: {len(unexplained)}.",
    ]
    # The corpus README says `sales_policy` refuses documentation domains (example.*) and display
    # names, yet some rows accept them. Scored against the README's stated policy instead:
    contradictions = [r for r in rows if contradicts_readme(r)]
    fixed = sum(
        1
        for r in rows
        if (ours(default)(r["address"])[0] == (expected(r) and not contradicts_readme(r)))
    )
    lines += [
        f"Rows whose label contradicts the corpus README's stated policy: {len(contradictions)} "
        "(documentation domains and display names marked accept). Scored with those rows "
        f"read as the README states (reject): {fixed}/{n} = {fixed / n:.2%}.",
    ]

    addresses = [r["address"] for r in rows]
    t_plain = median_seconds(lambda: [plain(a) for a in addresses], repeats=5)
    t_ours = median_seconds(lambda: default.validate_many(addresses), repeats=5)
    lines += [
        "",
        f"Time over the corpus (median of 5): email-validator {t_plain * 1000:.1f} ms, "
        f"leadqual {t_ours * 1000:.1f} ms (x{t_ours / t_plain:.2f} for the policy, type and "
        "typo checks on top).",
    ]
    text = "\n".join(lines)
    print(text)
    path = write_results("email_corpus", text)
    print(f"\nwritten to {path}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
