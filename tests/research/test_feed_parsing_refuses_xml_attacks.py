"""Company news feeds are parsed with defusedxml: entity bombs, external entities and DTDs are
refused with a typed error; ordinary RSS and Atom feeds parse."""

from __future__ import annotations

import pytest

from leadqual.errors import MalformedResponse, ProviderError
from leadqual.research.website import parse_feed

BASE = "https://contoso.com/press/feed.xml"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss><channel><item><title>&lol4;</title><link>/n/1</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&xxe;</title><link>/n/1</link></item></channel></rss>"""

# The declaration sits past the first 4 KiB, where a byte scan of the head would miss it.
LATE_ENTITY = (
    b'<?xml version="1.0"?>' + b"<!--" + b" " * 5000 + b"-->"
    b'<!DOCTYPE rss [<!ENTITY e "x">]><rss><channel><item><title>&e;</title>'
    b"<link>/n/1</link></item></channel></rss>"
)

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "http://169.254.169.254/latest/meta-data/">
<rss><channel><item><title>t</title><link>/n/1</link></item></channel></rss>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Press</title>
<item><title>Contoso opens a Lisbon office</title><link>https://contoso.com/news/lisbon</link>
<pubDate>Tue, 01 Sep 2026 10:00:00 GMT</pubDate></item>
<item><title>Elsewhere</title><link>https://other.example/x</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><title>Contoso wins an award</title><link href="/news/award"/>
<updated>2026-09-01T10:00:00Z</updated></entry></feed>"""


@pytest.mark.parametrize(
    "payload",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, LATE_ENTITY, EXTERNAL_DTD],
    ids=["billion-laughs", "external-entity", "late-entity", "external-dtd"],
)
def test_a_feed_with_a_dtd_or_entities_is_refused_with_a_typed_error(payload: bytes) -> None:
    with pytest.raises(MalformedResponse, match="refused") as info:
        parse_feed(payload, base_url=BASE, provider="website")
    assert isinstance(info.value, ProviderError) and info.value.provider == "website"


def test_a_feed_that_is_not_xml_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponse, match="not XML"):
        parse_feed(b"<rss><channel>", base_url=BASE)


def test_an_rss_feed_parses_and_keeps_only_the_sites_own_links() -> None:
    items = parse_feed(RSS, base_url=BASE)
    assert [(title, url) for title, url, _ in items] == [
        ("Contoso opens a Lisbon office", "https://contoso.com/news/lisbon")
    ]
    assert items[0][2] is not None and items[0][2].year == 2026


def test_an_atom_feed_parses_with_relative_links_resolved() -> None:
    items = parse_feed(ATOM, base_url=BASE)
    assert [(title, url) for title, url, _ in items] == [
        ("Contoso wins an award", "https://contoso.com/news/award")
    ]
