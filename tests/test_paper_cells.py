"""docs/protocols.md's table of the paper protocol's cross-session cells is what the code makes of the
published embeddings (skipped when the release folder is absent)."""

from pathlib import Path

import pytest

import ner_bench as nb
from ner_bench.paper_cells import MARKERS, markdown, paper_cells

DOCS = Path(__file__).resolve().parents[1] / "docs" / "protocols.md"
#: the column of this environment's pick: it may differ elsewhere, within the cell's range
REPRODUCED, RANGE = 5, 6


def docs_table() -> list[list[str]]:
    text = DOCS.read_text()
    table = text[text.index(MARKERS[0]) + len(MARKERS[0]):text.index(MARKERS[1])]
    return [cells(line) for line in table.strip().splitlines()]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def published_embeddings_run(release_dir: Path):
    """The published board's paper run (leaderboards/publish.sh), cross-session only."""
    npz = release_dir / "data_NER" / "M1 4+6+6"
    methods = [f"precomputed[path={npz}/NER_Chewie/NPZ,label=NER (published embedding)]",
               f"precomputed[path={npz}/Cebra_Chewie/NPZ,label=CEBRA (published embedding)]"]
    return nb.run(methods=methods, tasks="cross-session", dataset="reaching", data_dir=release_dir,
                  sessions=["2015-06-29", "2015-06-30"], protocol="paper", out=None)


@pytest.mark.integration
@pytest.mark.slow
def test_the_docs_table_is_the_codes_table_of_the_published_embeddings(release_dir):
    produced = [cells(line) for line in markdown(paper_cells(published_embeddings_run(release_dir))).splitlines()]
    documented = docs_table()
    assert len(documented) == len(produced) == 2 + 48  # header, rule, 2 models x 4 cells x 6 scores
    assert documented[:2] == produced[:2]
    for doc_row, code_row in zip(documented[2:], produced[2:]):
        assert doc_row[:REPRODUCED] + doc_row[REPRODUCED + 1:] == code_row[:REPRODUCED] + code_row[REPRODUCED + 1:]
        low, high = (float(v) for v in doc_row[RANGE].split(" .. "))
        assert low <= float(doc_row[REPRODUCED]) <= high and low <= float(code_row[REPRODUCED]) <= high
    diagonal = [row for row in produced[2:] if row[2] == "linear" and row[4] != "-"]
    assert len(diagonal) == 8 and all(row[4] == row[REPRODUCED] for row in diagonal)  # section 6 reproduced
