import pytest

from support.recordings import make_recording
from ner_bench import NerBenchError
from ner_bench.pairs import PAIR_TYPES, PairwiseDecoding, pair_type
from ner_bench.protocol import STRICT
from ner_bench.results import COLUMNS, make_table


def rec(id, subject="Mo", date="2026-01-01", area="M1", hemisphere="left"):
    return make_recording(n_trials=8, id=id, subject=subject, date=date, area=area, hemisphere=hemisphere)


def test_session_is_subject_and_date_or_the_id_when_the_date_is_unknown():
    assert rec("a").session == "Mo_2026-01-01"
    assert rec("a", area="PMd").session == rec("b", area="M1").session
    assert rec("a", date="unknown").session == "a"


@pytest.mark.parametrize("b, expected", [
    (dict(id="a"), "same recording"),
    (dict(id="b", date="2026-01-02"), "cross-session"),
    (dict(id="b", date="2026-01-02", hemisphere="right"), "cross-hemisphere"),
    (dict(id="b", hemisphere="right"), "cross-hemisphere"),  # both hemispheres of one day
    (dict(id="b", area="PMd"), "cross-area"),
    (dict(id="b", area="PMd", hemisphere="right"), "cross-area"),  # one session: the area is what changes
    (dict(id="b", date="2026-01-02", area="PMd"), "cross-session-and-area"),
    (dict(id="b", date="2026-01-02", area="PMd", hemisphere="right"), "cross-session-and-area"),
    (dict(id="b", subject="Se"), "cross-subject"),
    (dict(id="b", subject="Se", date="2026-01-02", area="S1"), "cross-subject"),
    (dict(id="b"), "same session"),  # another trial set of one MC_Maze session and area
    (dict(id="b", date="2026-01-02", hemisphere="unknown"), "cross-session"),  # not known to differ
    (dict(id="b", date="unknown"), "cross-session"),  # an unknown date is never the same session
])
def test_pair_type(b, expected):
    a = rec("a")
    assert pair_type(a, rec(**b)) == expected and expected in PAIR_TYPES
    assert pair_type(rec(**b), a) == expected  # symmetric


def test_make_table_adds_pair_type_and_sessions_next_to_the_units():
    a, b = rec("a"), rec("b", area="PMd")
    rows = [dict(task="t", method="m", train_recording=a, test_recording=b, value=1.0, status="ok"),
            dict(task="t", method="m", train_recording=a, test_recording=a, status="failed", error="boom")]
    table = make_table(rows, protocol=STRICT, budget="quick", device="cpu")
    assert list(table["pair_type"]) == ["cross-area", "same recording"]  # failed rows too
    assert list(table["train_session"]) == list(table["test_session"]) == ["Mo_2026-01-01"] * 2
    assert COLUMNS.index("pair_type") == COLUMNS.index("test_unit") + 1


def test_a_pairwise_task_must_name_known_pair_types():
    class Sideways(PairwiseDecoding):
        name = "sideways"
        pair_types = ("cross-galaxy",)

    class Nothing(PairwiseDecoding):
        name = "nothing"

    for task in (Sideways, Nothing):
        with pytest.raises(NerBenchError, match=f"task {task.name!r}: pair_types"):
            task()
