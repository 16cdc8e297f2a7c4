"""Every public name of the engagement package has a docstring (the examples in them run as
doctests with the rest of the package)."""

from __future__ import annotations

import leadqual.drafting as drafting


def test_every_public_name_has_a_docstring() -> None:
    for name in drafting.__all__:
        obj = getattr(drafting, name)
        if callable(obj) and not isinstance(obj, type(drafting.Intent)):
            assert (obj.__doc__ or "").strip(), name
