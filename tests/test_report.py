"""index.html: self-contained, every table and figure there; opened in a real headless browser."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("seaborn")  # every figure of the board (the report extra)
pytest.importorskip("scikit_posthocs")  # its critical-difference diagrams

import ner_bench as nb
from support.leaderboard_data import fabricated_results, toy_embeddings

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A board with every kind of figure: fabricated within- and cross-session results (velocity R^2,
    peak and per-bin direction accuracy) and in-memory embeddings for the trajectories."""
    table = fabricated_results(n_bins=4)
    table = table[(table["target"] != "position")]
    embeddings = toy_embeddings()
    return nb.leaderboard(table, out=tmp_path_factory.mktemp("board"), embeddings=embeddings)


def test_page_is_self_contained_and_links_every_figure(board):
    page = board.index_html.read_text()
    assert not re.search(r"""(src|href)=['"]?(https?:|//)""", page) and "<link" not in page
    sources = re.findall(r"<img src='([^']+)'", page)
    assert len(sources) == len(board.figures) == 12  # bars, ranks (3 each), 2 matrices, 3 time courses, 1 trajectory
    assert all((board.out / s).exists() and not Path(s).is_absolute() for s in sources)
    assert {f.kind for f in board.figures} == {"bars", "ranks", "matrix", "time_course", "trajectories"}
    assert page.count("<table class='sortable summary'") == 3  # within-session; cross-session same / different
    assert "class='tie g2'" in page and "95 % CI" in page and "test session (its recording pairs averaged)" in page
    assert "hierarchical bootstrap" in page and "mean rank" in page
    for fact in ("seeds", "0, 1", "numpy 2.0.0", "budget: quick", "strict"):
        assert fact in page


def find_browser() -> str:
    for name in BROWSERS:
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless browser: install Debian's chromium (apt-get install -y chromium) to run this test")


def test_page_renders_in_a_headless_browser(board, tmp_path):
    browser = find_browser()
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", board.index_html.resolve().as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    tables = re.findall(r"<table [^>]*>", dom)
    assert len(tables) == 6 and all('data-sortable-ready="true"' in t for t in tables)  # the sorting JS ran
    assert f'data-sort-ready="{len(tables)}"' in dom
    images = re.findall(r"<img [^>]*>", dom)
    assert len(images) == 12 and all('data-loaded="true"' in i for i in images)  # every figure file loaded
    assert 'id="protocol"' in dom and ">letters<" in dom


def test_tables_come_first_under_a_table_of_contents(board):
    page = board.index_html.read_text()
    contents, first_table, first_image = page.find("<nav id=contents>"), page.find("<table"), page.find("<img")
    assert 0 < contents < first_table < first_image  # the tables are not below screens of figures
    assert page.find("id='tables'") < first_table and first_image > page.find("id='figures'")
    assert page.rfind("<table") < first_image  # every table before every figure
    links = re.findall(r"href='#([^']+)'", page[contents:page.find("</nav>")])
    ids = set(re.findall(r"id=['\"]?([\w-]+)", page))
    assert {"tables", "protocol", "figures", "trajectories"} <= set(links) and set(links) <= ids
    assert any(link.startswith("s-") for link in links) and any(link.startswith("f-") for link in links)


def test_tables_and_figures_carry_human_metric_labels(board):
    page = board.index_html.read_text()
    assert "velocity R² (linear)" in page and "peak direction accuracy (logistic)" in page
    assert "velocity r2" not in page and "peak_accuracy (" not in page
