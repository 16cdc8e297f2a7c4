"""Test doubles for code that uses leadqual: no network, no DNS, no LLM service.

- :class:`StaticResolver`: DNS answers from a mapping (the sample CRM ships one in ``SampleData.dns``).
- :class:`StaticHostResolver`: host-to-address answers for the safe HTTP fetcher.
- :class:`FakeResearchProvider`: a research provider answering from canned results, with latency
  and failure injection.
- :class:`FunctionLlmClient`: an LLM client whose answers come from a Python function;
  :func:`prompt_draft_body` reads the template draft out of a drafting prompt, for fake models.
- :func:`mock_fetcher`: a safe fetcher over an ``httpx.MockTransport`` handler.
- :class:`RecordingSleep`: records the waits of retries and rate limits instead of sleeping.
- :class:`FakeDataverse`: an in-memory Dataverse Web API for
  :class:`~leadqual.sources.dataverse.DataverseSource`; :func:`with_guid_ids` makes a snapshot
  it can hold.
- :mod:`leadqual.testing.source_contract`: the tests every CRM source passes, for your connector
  (needs pytest; imported on its own).
"""

from leadqual.testing.dataverse import FakeDataverse, with_guid_ids
from leadqual.testing.dns import StaticResolver
from leadqual.testing.llm import FunctionLlmClient, prompt_draft_body
from leadqual.testing.research import (
    FakeResearchProvider,
    RecordingSleep,
    StaticHostResolver,
    mock_fetcher,
)

__all__ = [
    "FakeDataverse",
    "FakeResearchProvider",
    "FunctionLlmClient",
    "RecordingSleep",
    "StaticHostResolver",
    "StaticResolver",
    "mock_fetcher",
    "prompt_draft_body",
    "with_guid_ids",
]
