"""Impossible combinations become ``skipped`` rows with the reason; a task with no units says so once."""

from __future__ import annotations

import logging

import pandas as pd

from ner_bench.cli import main
from ner_bench.runner import fit_embeddings, run

SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12]"

PLUGIN = f'''
from ner_bench import Dataset
from ner_bench.builtins.datasets.synthetic import SyntheticReaching


class Unlabelled(Dataset):
    """The small synthetic recordings with their behaviour blanked: neural activity only."""

    name, description = "unlabelled", "synthetic recordings without behaviour"

    def load(self):
        dataset = SyntheticReaching(n_sessions=2, n_s1_sessions=0, n_trials=24, n_neurons=12)
        return [recording.without_behavior() for recording in dataset.load()]
'''


def plugin_file(tmp_path):
    path = tmp_path / "unlabelled.py"
    path.write_text(PLUGIN)
    return path


def test_a_supervised_method_on_recordings_without_behaviour_gives_skipped_rows(tmp_path):
    table = run(methods="pca,pca-avg", tasks="within-session", dataset="unlabelled", plugins=[plugin_file(tmp_path)],
                out=tmp_path / "out")
    skipped = table[table["method"] == "pca-avg"]
    assert len(skipped) == 3 and (skipped["status"] == "skipped").all()  # one row per unit
    assert skipped["note"].str.contains("pca-avg").all() and skipped["note"].str.contains("behaviour|behavior").all()
    assert table.attrs["fits"]["planned"] == 3  # pca only: nothing is fitted for a skipped combination
    assert (table.loc[table["method"] == "pca", "status"] == "ok").all()


def test_fit_embeddings_reports_skipped_fits(tmp_path):
    fitted = fit_embeddings("pca-avg", "unlabelled", plugins=[plugin_file(tmp_path)], out=None)
    assert [f.status for f in fitted] == ["skipped"] * 3 and all(f.values is None for f in fitted)


def test_the_cli_prints_one_line_per_skipped_task_and_method(tmp_path, capsys):
    code = main(["run", "--methods", "pca,pca-avg", "--dataset", "unlabelled", "--plugin", str(plugin_file(tmp_path)),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0  # a skip is not a failure
    assert err.count("within-session x pca-avg: skipped 3 unit(s), e.g. method 'pca-avg'") == 1


def test_a_task_with_no_units_says_so_in_one_line(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        table = run(methods="pca", tasks="within-session,curved-vs-straight", dataset=SMALL, out=None)
    lines = [r.getMessage() for r in caplog.records if "curved-vs-straight" in r.getMessage()]
    assert len(lines) == 1 and "nothing to score" in lines[0]
    assert set(table["task"]) == {"within-session"}
    assert isinstance(table, pd.DataFrame)
