"""From a CRM's CSV export to leads, with a report of the rows that could not be read.

The export here is written by the script (a Salesforce report, with the footer such reports
add and a few rows a real export has: a repeated id, a date nobody can read, a phone number
Excel mangled) so it runs anywhere; point ``TabularSource`` at your own file to try it on your data.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from leadqual.sources.tabular import TabularSource

EXPORT = """\
Lead ID,Lead Owner,First Name,Last Name,Title,Company / Account,Email,Phone,Lead Source,Lead Status,Create Date,No. of Employees,Country
00Q01,Sam Seller,Radia,Perlman,Fellow,Fourth Coffee,radia@fourthcoffee.example,(206) 555-0142,Web,Open - Not Contacted,3/1/2025,"3,000",US
00Q02,Sam Seller,Donald,Knuth,Professor,Coho Winery,don@coho.example,4.9E+11,Seminar,Working - Contacted,3/2/2025,20,US
00Q03,Lee Owner,Frances,Allen,Fellow,Litware Inc,fran@litware.example,,Partner Referral,Closed - Converted,sometime,1.2E+03,US
00Q02,Lee Owner,Donald,Knuth,Professor,Coho Winery,don@coho.example,,Seminar,Working - Contacted,3/2/2025,20,US
00Q04,Lee Owner,Hedy,Lamarr,Inventor,Wingtip SA,hedy@wingtip.example,+1 310 555 0123,Web,Closed - Not Converted,2025-03-04,40,United States

"Confidential Information - Do Not Distribute",,,,,,,,,,,,
"""


def main() -> None:
    path = Path(tempfile.mkdtemp()) / "salesforce_report.csv"
    path.write_text(EXPORT, encoding="utf-8")

    source = TabularSource(path)  # the preset is recognised from the header
    result = source.results["leads"]
    print(
        f"{result.rows} rows read: {len(result.records)} leads, {len(result.skipped_rows)} skipped"
    )
    for note in result.notes[:1]:
        print(f"  {note[:100]}...")
    for lead in source.leads():
        phone = lead.phones[0].number if lead.phones else "-"
        print(
            f"  {lead.id} {lead.full_name:<16} {lead.company_name:<14} {lead.status.value:<12} "
            f"{lead.created_at:%Y-%m-%d} employees={lead.employee_count} phone={phone}"
        )
    print("Row report:")
    for p in source.problems:
        action = "skipped" if p.skipped else "loaded without it"
        print(f"  row {p.row} {p.column or '(row)'} = {p.value!r}: {p.reason} [{action}]")
    print("Sellers:", ", ".join(s.name for s in source.sellers()))


if __name__ == "__main__":
    main()
