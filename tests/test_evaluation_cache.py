"""Stored evaluations are reused only while the fits, task, protocol, seed and scoring code are unchanged."""

import json
import textwrap

from ner_bench.run_folder import code_fingerprint
from ner_bench.plugins import load_plugin_file
from ner_bench.runner import run

SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=32]"


def stored(out) -> set:
    return {p.stem for p in (out / "evaluations").rglob("*.json")}


def test_evaluations_are_keyed_by_protocol_and_seed(tmp_path):
    run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path)
    strict = stored(tmp_path)
    assert len(strict) == 3
    run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path)
    assert stored(tmp_path) == strict  # reused, not re-evaluated under new keys
    paper = run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path, protocol="paper")
    assert len(stored(tmp_path)) == 6 and (paper["protocol"] == "paper").all()
    run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path, seeds=[1])
    assert len(stored(tmp_path)) == 9


def test_a_corrupt_stored_evaluation_is_recomputed(tmp_path):
    first = run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path)
    victim = next((tmp_path / "evaluations").rglob("*.json"))
    victim.write_text("[{\"truncated")
    again = run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path)
    assert json.loads(victim.read_text())  # rewritten whole
    assert first["value"].equals(again["value"])


def test_fingerprint_changes_when_the_task_code_changes(tmp_path):
    source = tmp_path / "my_task.py"
    source.write_text(textwrap.dedent('''
        from ner_bench import Task, Unit
        class Mine(Task):
            name = "mine"
            def units(self, recordings):
                return [Unit(r, r) for r in recordings]
            def evaluate(self, unit, train, test, context):
                return []
    '''))
    task = load_plugin_file(source).Mine()
    before = code_fingerprint([task])
    assert code_fingerprint([task]) == before
    source.write_text(source.read_text() + "# a fix in the scoring\n")
    assert code_fingerprint([task]) != before
