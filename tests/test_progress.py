"""Progress reporting: the bookkeeping every long call shares, and the bar a notebook shows."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadqual
from leadqual._progress import Progress, Steps, check_progress, notebook_progress, restored_on_error
from leadqual.errors import ConfigurationError

# -- Steps: the contract every component relies on ---------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(-5, 50)),
        st.tuples(st.just("to"), st.integers(-5, 5000)),
        st.tuples(st.just("span"), st.integers(0, 30), st.integers(0, 40), st.integers(-3, 60)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(0, 5000), ops=operations, reports=st.integers(1, 300))
def test_steps_keep_the_contract_whatever_the_component_asks(
    progress_log: Any, total: int, ops: list[tuple[Any, ...]], reports: int
) -> None:
    log = progress_log()
    steps = Steps(log, total, "start", reports=reports)
    for op in ops:
        if op[0] == "advance":
            steps.advance(op[1], "a")
        elif op[0] == "to":
            steps.to(op[1], "t")
        else:
            steps.span(op[1]).at(op[3], op[2], "s")
    steps.finish("end")
    steps.finish("again")  # a second finish is not a second report at the total
    assert log.check() == total
    # thinned: `reports` at most between the start and the end, however many steps were asked
    assert len(log.reports) <= reports + 2
    assert log.reports[-1][2] == "end"


@given(total=st.integers(1, 10_000_000))
def test_steps_over_millions_of_units_report_a_few_hundred_times(
    progress_log: Any, total: int
) -> None:
    log = progress_log()
    steps = Steps(log, total, "start")
    for done in range(0, total, max(1, total // 5000)):
        steps.to(done, "rows")
    steps.finish("end")
    log.check()
    assert len(log.reports) <= 200 + 2


def test_an_empty_call_reports_once_that_it_is_done(progress_log: Any) -> None:
    log = progress_log()
    steps = Steps(log, 0, "start")
    steps.advance(3, "nothing to do")
    steps.finish("done")
    assert log.reports == [(0, 0, "done")]


def test_a_span_fills_its_width_in_proportion_and_never_runs_past_it(progress_log: Any) -> None:
    log = progress_log()
    steps = Steps(log, 30, "start")
    steps.advance(5, "before")
    span = steps.span(20)
    span.at(1, 4, "a quarter")
    span.at(9, 4, "more than all of it")
    span.end("end of the span")
    steps.finish("end")
    assert log.dones == [0, 5, 10, 25, 30]


@pytest.mark.parametrize("wrong", [True, 1, "bar", object()])
def test_a_progress_that_cannot_be_called_is_refused_before_any_work(wrong: object) -> None:
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        check_progress(wrong)
    check_progress(None)
    check_progress(lambda done, total, label: None)


def test_a_plain_function_is_a_progress() -> None:
    def plain(done: int, total: int, label: str) -> None:
        pass

    reporter: Progress = plain  # mypy checks this line: any three-argument function fits
    reporter(1, 2, "x")


# -- restored_on_error --------------------------------------------------------------------------


class _Thing:
    def __init__(self) -> None:
        self.a = 1


def test_an_object_is_put_back_as_it_was_when_the_block_raises() -> None:
    thing = _Thing()
    old = vars(thing).copy()

    def interrupted() -> None:
        with restored_on_error(thing):
            thing.a = 2
            thing.b_ = "new"
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert vars(thing) == old


def test_an_object_keeps_what_the_block_set_when_it_ends_well() -> None:
    thing = _Thing()
    with restored_on_error(thing):
        thing.a = 2
    assert thing.a == 2


# -- the bar -----------------------------------------------------------------------------------


@pytest.fixture
def no_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    """tqdm cannot be imported, as in an install without the notebook extra."""
    for name in [m for m in sys.modules if m == "tqdm" or m.startswith("tqdm.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tqdm", None)


def test_without_tqdm_the_bar_is_plain_text_on_stderr_and_ends_with_a_newline(
    no_tqdm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bar = notebook_progress(description="checking")
    for done in range(0, 11):
        bar(done, 10, f"step {done}")
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n")
    last = err.rstrip("\n").split("\r")[-1]
    assert last.startswith("checking 100% [########################] 10/10 step 10")
    assert err.count("\r") == 11  # one redraw per whole percentage reached, not per call


def test_the_text_bar_redraws_only_when_the_percentage_changes(
    no_tqdm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bar = notebook_progress()
    for done in range(0, 100_001, 7):
        bar(done, 100_000, "rows")
    bar(100_000, 100_000, "rows")
    err = capsys.readouterr().err
    assert err.count("\r") <= 101


@pytest.mark.parametrize(
    "label",
    ["L-1\x1b[2J\x1b[31mred", "L-1\r\nfake line", "L-1\u2028\u0085x", "L" * 500],
)
def test_the_text_bar_shows_no_control_characters_from_a_label(
    no_tqdm: None, capsys: pytest.CaptureFixture[str], label: str
) -> None:
    bar = notebook_progress()
    bar(1, 2, label)
    err = capsys.readouterr().err
    drawn = err.replace("\x1b[K", "")
    assert drawn.count("\r") == 2  # the empty bar, then 1/2: a carriage return of our own each
    drawn = drawn.replace("\r", "")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in drawn)
    assert len(drawn) < 200


def test_one_bar_serves_calls_in_turn_each_from_zero(
    no_tqdm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bar = notebook_progress()
    for done in (0, 1, 2):
        bar(done, 2, "first")
    for done in (0, 3):
        bar(done, 3, "second")
    err = capsys.readouterr().err
    assert err.count("\n") == 2
    assert "2/2 first" in err
    assert "3/3 second" in err


def test_a_call_stopped_half_way_leaves_the_bar_ready_for_the_next_call(
    no_tqdm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bar = notebook_progress()
    bar(0, 10, "a")
    bar(6, 10, "a")  # stopped here
    bar(0, 4, "b")  # the next call starts again from zero: a new bar
    bar(4, 4, "b")
    err = capsys.readouterr().err
    assert err.count("\n") == 2  # the stopped bar is ended, then the finished one
    assert err.rstrip("\n").split("\r")[-1].startswith("leadqual 100%")


def test_a_bar_with_a_total_shows_at_once(
    no_tqdm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook_progress(total=7, description="leads")
    assert "leads   0% [" in capsys.readouterr().err


@pytest.mark.parametrize("total", [-1, 1.5, True, "10"])
def test_a_bar_refuses_a_total_that_is_not_a_count(total: Any) -> None:
    with pytest.raises(ConfigurationError, match="total must be"):
        notebook_progress(total=total)


def test_a_bar_refuses_a_description_that_is_not_text() -> None:
    with pytest.raises(ConfigurationError, match="description must be text"):
        notebook_progress(description=3)  # type: ignore[arg-type]


def test_with_tqdm_the_bar_is_tqdm_with_the_label_beside_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("tqdm")
    bar = notebook_progress(description="dedupe")
    bar(0, 4, "normalising")
    bar(4, 4, "found 3 pairs")
    err = capsys.readouterr().err
    assert "dedupe: 100%" in err
    assert "4/4" in err
    assert "found 3 pairs" in err


def test_in_jupyter_with_ipywidgets_the_bar_is_the_notebook_widget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("tqdm")
    made: list[dict[str, Any]] = []

    class Widget:
        """Stands for tqdm.notebook.tqdm, which needs a live kernel to draw."""

        def __init__(self, **kw: Any) -> None:
            made.append(kw)
            self.total, self.n, self.closed, self.postfix = kw["total"], 0, False, ""

        def reset(self, total: int) -> None:
            self.total, self.n = total, 0

        def set_postfix_str(self, s: str, refresh: bool = True) -> None:
            self.postfix = s

        def update(self, n: int) -> None:
            self.n += n

        def close(self) -> None:
            self.closed = True

    notebook = types.ModuleType("tqdm.notebook")
    notebook.tqdm = Widget  # type: ignore[attr-defined]
    notebook.IProgress = object  # type: ignore[attr-defined]  # ipywidgets is installed
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    monkeypatch.setitem(sys.modules, "tqdm.notebook", notebook)
    import tqdm

    monkeypatch.setattr(tqdm, "notebook", notebook, raising=False)
    bar = notebook_progress(total=10, description="scoring")
    bar(3, 8, "fold 1")
    assert made == [{"total": 10, "desc": "scoring", "leave": True}]
    widget = bar._view.bar  # type: ignore[attr-defined]
    assert (widget.total, widget.n, widget.postfix) == (8, 3, "fold 1")
    bar(8, 8, "done")
    assert widget.closed and widget.n == 8


def test_in_jupyter_without_ipywidgets_the_bar_is_tqdm_text_not_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    notebook = types.ModuleType("tqdm.notebook")
    notebook.IProgress = None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    monkeypatch.setitem(sys.modules, "tqdm.notebook", notebook)
    bar = notebook_progress()
    bar(1, 1, "done")  # filterwarnings=error: tqdm.auto's IProgress warning would fail here
    assert "1/1" in capsys.readouterr().err


def test_the_top_level_exports_the_protocol_and_the_bar() -> None:
    assert leadqual.Progress is Progress
    assert leadqual.notebook_progress is notebook_progress
