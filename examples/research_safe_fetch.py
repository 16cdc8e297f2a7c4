"""What the safe fetcher refuses, offline: unsafe URLs, DNS answers that point inside, and a
redirect to the cloud metadata address. No network is used (an httpx MockTransport answers).

Run: python examples/research_safe_fetch.py
"""

from __future__ import annotations

import asyncio

import httpx

from leadqual.errors import UnsafeUrlError
from leadqual.research.http import check_url
from leadqual.testing.research import StaticHostResolver, mock_fetcher


def site(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/go-inside":
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    return httpx.Response(200, text="<title>Contoso</title>", headers={"Content-Type": "text/html"})


async def main() -> None:
    for url in (
        "http://127.1/",
        "http://localhost:8080/",
        "file:///etc/passwd",
        "https://www.contoso.com/",
    ):
        try:
            check_url(url)
            print(f"allowed   {url}")
        except UnsafeUrlError as err:
            print(f"refused   {url}: {err.reason}")

    resolver = StaticHostResolver({"rebind.contoso.com": ["10.0.0.8"]}, default=["93.184.216.34"])
    async with mock_fetcher(site, resolver=resolver) as fetcher:
        page = await fetcher.fetch("https://www.contoso.com/")
        print(f"fetched   {page.final_url}: {page.text!r}")
        for url in ("https://rebind.contoso.com/", "https://www.contoso.com/go-inside"):
            try:
                await fetcher.fetch(url)
            except UnsafeUrlError as err:
                print(f"refused   {url}: {err.reason}")


if __name__ == "__main__":
    asyncio.run(main())
