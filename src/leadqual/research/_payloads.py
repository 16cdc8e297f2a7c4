"""One boundary for reading a source's answer: a payload of another shape is a typed error.

The built-in providers read JSON the sources document (``record["attributes"]["entity"]``...).
A changed API, a proxy's error page passed off as JSON, or a hostile mirror can put a string
where an object was, a number where a list was: the reading code then fails with an
``AttributeError`` or a ``TypeError`` deep inside. Every built-in provider's ``aresearch`` goes
through :func:`reads_payloads`, which turns such a failure into a
:class:`~leadqual.errors.MalformedResponse` naming the provider, so a caller sees one typed error
(and the :class:`~leadqual.research.Researcher` a failed source, its other sources unaffected),
with the original exception kept as the cause.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from leadqual.errors import LeadqualError, MalformedResponse, ValidationFailed

if TYPE_CHECKING:
    from leadqual.research.providers import CompanyQuery, ResearchResult

__all__ = ["reads_payloads"]

_P = TypeVar("_P")

_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)
"""What reading a payload of the wrong shape raises: ``"x".get``, ``len(1)``, ``[][0]``,
``int("n/a")``, a structure nested past the interpreter's limit."""


_Aresearch = Callable[[_P, "CompanyQuery"], Coroutine[Any, Any, "ResearchResult"]]


def reads_payloads(method: _Aresearch[_P], /) -> _Aresearch[_P]:
    """Wrap a provider's ``aresearch``: a payload that does not have the shape its source
    documents ends in :class:`~leadqual.errors.MalformedResponse`, never in an exception from
    the reading code.

    Errors leadqual raises on purpose pass unchanged (a refused key, a timeout, a rate limit),
    except :class:`~leadqual.errors.ValidationFailed`: a value read from the payload that a
    result model refuses (a ``javascript:`` link as the website) is a malformed answer too.
    """

    @functools.wraps(method)
    async def guarded(provider: _P, company: CompanyQuery, /) -> ResearchResult:
        name = str(getattr(provider, "name", type(provider).__name__))
        try:
            return await method(provider, company)
        except ValidationFailed as err:
            raise MalformedResponse(
                f"{name}: the answer holds a value no result can carry: {err}", provider=name
            ) from err
        except LeadqualError:
            raise
        except _SHAPE_ERRORS as err:
            raise MalformedResponse(
                f"{name}: the answer does not have the shape the source documents "
                f"({type(err).__name__}: {err}); nothing from it was used",
                provider=name,
            ) from err

    return guarded
