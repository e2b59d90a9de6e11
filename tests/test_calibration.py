"""The calibration ladder: alignments and target fits see only B's calibration trials (K training trials,
balanced over directions or the first K), the oracle is flagged everywhere, CCA recovers a planted map, and
the calibration table says, from paired tests over test sessions, where an alignment beats refitting on the
same trials."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import special_ortho_group

import ner_bench as nb
from support.recordings import make_recording
from ner_bench import Context, NerBenchError, chronological_split
from ner_bench.calibration import (BLOCKS, MAPS_BY_NAME, block_trials, calibration_block, cca_map, parse_rungs,
                                   parse_sizes)
from ner_bench.calibration_ladder import ladder_rows
from ner_bench.decoders import DECODERS
from ner_bench.protocol import PAPER, STRICT
from ner_bench.statistics.calibration import COLUMNS, calibration_table
from ner_bench.task import Embedding, Unit
from test_alignment import perturb_test_trials


def embedding(recording, dim=3, seed=0) -> Embedding:
    values = recording.neural @ np.random.default_rng(seed).normal(size=(recording.n_neurons, dim))
    return Embedding(recording, chronological_split(recording), values)


@pytest.fixture(scope="module")
def pair():
    a = make_recording(n_trials=48, id="A", subject="S", area="M1", date="2026-01-01")
    b = make_recording(n_trials=48, id="B", subject="S", area="M1", date="2026-01-02", seed=1)
    return embedding(a), embedding(b, seed=3)


@pytest.fixture(scope="module")
def runs_of_directions():
    """80 trials (64 train) whose directions come in runs of 3, as in a session that cycles slowly through
    targets, with direction 7 rare among the training trials (2 of them); a chronological K = 8 block holds 3
    directions."""
    runs = np.tile(np.repeat(np.arange(7), 3), 2)
    directions = np.r_[runs, [7, 7], np.tile(np.arange(7), 3)[:20], np.tile(np.arange(8), 2)]
    recording = make_recording(n_trials=80, id="B", subject="S", area="M1", date="2026-01-02", directions=directions)
    return embedding(recording, seed=3)


def test_the_first_block_is_the_first_k_training_trials_as_before(pair, runs_of_directions):
    for target in (pair[1], runs_of_directions):
        for size in (8, 16, 40):
            old = np.sort(target.split.train_trials)[:size]  # the block before blocks were balanced
            block = calibration_block(target, size, "first")
            assert list(block.recording.trial_ids) == list(old)
            np.testing.assert_array_equal(block.values, target.values[np.isin(target.recording.trial, old)])
        assert calibration_block(target, "all", "first").recording.n_trials == len(target.split.train_trials)


@pytest.mark.parametrize("size", [8, 12, 16, 24, 40, 63])
def test_a_balanced_block_of_k_trials_holds_every_direction_of_the_training_trials(runs_of_directions, size):
    target = runs_of_directions
    train = target.split.train(target.recording)
    block = calibration_block(target, size, "balanced").recording
    assert block.n_trials == size  # a rare direction's shortfall is filled by the others
    assert not np.isin(block.trial_ids, target.split.test_trials).any()
    assert set(block.trial_direction) == set(train.trial_direction)
    counts = {d: int((block.trial_direction == d).sum()) for d in set(train.trial_direction)}
    available = {d: int((train.trial_direction == d).sum()) for d in counts}
    share = max(counts[d] for d in counts if counts[d] < available[d])
    for direction, count in counts.items():  # as even as the trials allow: a rare direction gives all it has
        assert count == available[direction] or count >= share - 1
    for direction in counts:  # each direction's first trials, in time order
        of_direction = train.trial_ids[train.trial_direction == direction]
        assert list(block.trial_ids[block.trial_direction == direction]) == list(of_direction[:counts[direction]])


def test_balanced_blocks_take_the_ith_trial_of_every_direction_before_any_next_one():
    from ner_bench.calibration import balanced_trials

    trials = np.arange(10)
    directions = np.array([0, 0, 0, 1, 1, 2, 0, 2, 1, 1])
    assert list(balanced_trials(trials, directions, 3)) == [0, 3, 5]
    assert list(balanced_trials(trials, directions, 5)) == [0, 1, 3, 4, 5]  # round two in time order
    assert list(balanced_trials(trials, directions, 9)) == [0, 1, 2, 3, 4, 5, 6, 7, 8]


def test_a_block_of_trials_without_behaviour_is_the_chronological_one(runs_of_directions):
    target = runs_of_directions
    blank = Embedding(target.recording.without_behavior(), target.split, target.values)
    np.testing.assert_array_equal(block_trials(blank, 16, "balanced"), np.sort(target.split.train_trials)[:16])
    assert list(block_trials(target, 16, "balanced")) != list(block_trials(target, 16, "first"))


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("size", [8, 16, "all"])
def test_blanking_b_test_trials_leaves_every_alignment_and_refit_unchanged(pair, size, block):
    source, target = pair
    blanked = perturb_test_trials(target, 7)  # B's test labels and test embedding rows scrambled
    for name, fit in MAPS_BY_NAME.items():
        before = fit(source.part("train"), calibration_block(target, size, block))
        after = fit(source.part("train"), calibration_block(blanked, size, block))
        for field in ("matrix", "target_offset", "source_offset"):
            np.testing.assert_array_equal(getattr(before, field), getattr(after, field), err_msg=name)
    block, block2 = calibration_block(target, size, block), calibration_block(blanked, size, block)
    np.testing.assert_array_equal(block.values, block2.values)  # what refit fits on
    np.testing.assert_array_equal(block.recording.velocity, block2.recording.velocity)


def test_cca_recovers_a_planted_map_of_latents():
    rec = make_recording(n_trials=40, id="A", subject="S", area="M1", date="2026-01-01")
    source = embedding(rec)
    planted = special_ortho_group.rvs(3, random_state=4) * np.array([2.0, 0.5, 1.0])  # rotation and scaling
    moved = Embedding(rec.replace(id="B"), source.split, source.values @ planted + np.array([1.0, -3.0, 0.2]))
    mapping = cca_map(source.part("train"), calibration_block(moved, 16))
    test_b = moved.part("test").values
    np.testing.assert_allclose(mapping.apply(test_b), source.part("test").values, atol=1e-6)


def test_every_rung_at_several_sizes_with_the_oracle_flagged(pair):
    source, target = pair
    rows = ladder_rows(source, target, STRICT, (0, 8, 16, "all"), parse_rungs("all", "test"), DECODERS)
    rungs = {(r["alignment"], r["calibration_size"]) for r in rows}
    for rung in ("centre", "moments", "procrustes", "cca", "refit"):
        assert {(rung, "8"), (rung, "16")} <= rungs
    assert {("none", "0"), ("published", "all"), ("ceiling", "all"), ("procrustes", "all")} <= rungs
    assert all(r["split"] == "test" and r["calibration_curve"] and r.get("time_bin") is None for r in rows)
    modes = {r["alignment"]: r["alignment_mode"] for r in rows}
    assert modes["published"] == "oracle" and modes["refit"] == "control" and modes["cca"] == "supervised"
    trials = {r["alignment"]: r["calibration_trials"] for r in rows if r["calibration_size"] in ("8", "all", "0")}
    assert trials["published"] == target.recording.n_trials and trials["none"] == 0


def test_cross_session_task_rows_say_what_of_b_they_saw(pair):
    source, target = pair
    task = nb.plugins.discover().get("tasks", "cross-session")(calibration="8+all")
    rows = task.evaluate(Unit(source.recording, target.recording), source, target, Context(STRICT, 0))
    main = [r for r in rows if not r.get("calibration_curve")]
    assert {r["alignment_mode"] for r in main} == {"supervised"}
    assert {r["calibration_trials"] for r in main} == {len(target.split.train_trials)}
    assert {r["calibration_size"] for r in rows if r.get("calibration_curve")} == {"0", "8", "all"}
    assert {r["calibration_block"] for r in rows if r.get("calibration_curve")} == {"balanced"}
    assert not any("calibration_block" in r for r in main)
    paper = task.evaluate(Unit(source.recording, target.recording), source, target, Context(PAPER, 0))
    assert {r["alignment_mode"] for r in paper} == {"oracle"}  # the release's alignment sees B's test trials
    assert not any(r.get("calibration_curve") for r in paper)  # the paper protocol reproduces the release


def test_the_calibration_block_option_reaches_the_ladder_and_its_rows(runs_of_directions):
    source = embedding(make_recording(n_trials=80, id="A", subject="S", area="M1", date="2026-01-01"))
    target = runs_of_directions
    unit = Unit(source.recording, target.recording)
    accuracy_of = {}
    for block in BLOCKS:
        task = nb.plugins.discover().get("tasks", "cross-session")(calibration="8", ladder="refit",
                                                                   calibration_block=block)
        rows = [r for r in task.evaluate(unit, source, target, Context(STRICT, 0)) if r.get("calibration_curve")]
        assert {r["calibration_block"] for r in rows} == {block}
        (accuracy,) = [r["value"] for r in rows if r["decoder"] == "logistic" and r["metric"] == "peak_accuracy"]
        accuracy_of[block] = accuracy
    assert accuracy_of["balanced"] > accuracy_of["first"] + 0.3  # the refit classifier saw 8 directions, not 3
    with pytest.raises(NerBenchError, match="option 'calibration_block': calibration block 'even'"):
        nb.plugins.discover().get("tasks", "cross-session")(calibration_block="even")


def test_calibration_options_are_checked():
    assert parse_sizes("0+8+all", "x") == (0, 8, "all") and parse_sizes("off", "x") == ()
    with pytest.raises(NerBenchError, match="calibration size 'eight'"):
        parse_sizes("eight", "task 'cross-session' option 'calibration'")
    with pytest.raises(NerBenchError, match="alignments"):
        parse_rungs("procrustes+magic", "x")


def test_the_table_finds_where_an_alignment_beats_refitting():
    base = dict(dataset="d", task="cross-session", protocol="strict", split="test", cells="different recordings",
                pair_type="cross-session", decoder="linear", target="velocity", metric="r2", method="m",
                seed=0, status="ok", time_bin=pd.NA, subject="S", calibration_curve=True, method_label="m",
                train_unit="A", test_unit="B")
    rows = []
    for session in ("s1", "s2", "s3"):
        for alignment, mode, scores in [("procrustes", "supervised", {"8": 0.5, "16": 0.6, "all": 0.7}),
                                        ("refit", "control", {"8": 0.6, "16": 0.55}),
                                        ("ceiling", "control", {"all": 0.65})]:
            for size, value in scores.items():
                rows.append(dict(base, test_session=session, alignment=alignment, alignment_mode=mode,
                                 calibration_size=size, value=value))
    table = calibration_table(pd.DataFrame(rows))
    procrustes = table[table["alignment"] == "procrustes"].set_index("calibration_size")
    assert list(procrustes["beats_refit"]) == [False, True, True]  # the ceiling is the refit at K = all
    assert set(procrustes["beats_refit_up_to"]) == {None} and procrustes.loc["all", "refit_mean"] == 0.65


def test_the_table_says_up_to_which_k_an_alignment_beats_refitting():
    """Alignment pays with few labelled trials and refitting catches up: the last K of the winning run."""
    base = dict(dataset="d", task="cross-session", protocol="strict", split="test", cells="different recordings",
                pair_type="cross-session", decoder="linear", target="velocity", metric="r2", method="m",
                seed=0, status="ok", time_bin=pd.NA, subject="S", calibration_curve=True, method_label="m",
                train_unit="A", test_unit="B")
    rows = []
    for session in ("s1", "s2"):
        for alignment, mode, scores in [("procrustes", "supervised", {"8": 0.6, "16": 0.6, "32": 0.6, "all": 0.9}),
                                        ("refit", "control", {"8": 0.4, "16": 0.5, "32": 0.7}),
                                        ("ceiling", "control", {"all": 0.8})]:
            rows += [dict(base, test_session=session, alignment=alignment, alignment_mode=mode, calibration_size=size,
                          value=value) for size, value in scores.items()]
    table = calibration_table(pd.DataFrame(rows))
    procrustes = table[table["alignment"] == "procrustes"].set_index("calibration_size")
    assert list(procrustes["beats_refit"]) == [True, True, False, True]
    assert set(procrustes["beats_refit_up_to"]) == {"16"}  # a win after a loss does not extend the run


LADDER_ROW = dict(dataset="d", task="cross-session", protocol="strict", split="test", cells="different recordings",
                  pair_type="cross-session", decoder="linear", target="velocity", metric="r2", seed=0, status="ok",
                  time_bin=pd.NA, calibration_curve=True, train_unit="A", test_unit="B")


def ladder_table(scores, sessions, method="m", **fields) -> list[dict]:
    """Ladder rows: ``scores`` maps (alignment, K) to a value per session of ``sessions`` ((subject, session)
    pairs); ``fields`` override the curve (target, metric...)."""
    modes = {"refit": "control", "ceiling": "control"}
    return [dict(LADDER_ROW, **fields, method=method, method_label=method, subject=subject, test_session=session,
                 alignment=alignment, alignment_mode=modes.get(alignment, "supervised"), calibration_size=size,
                 value=float(values[i]))
            for (alignment, size), values in scores.items() for i, (subject, session) in enumerate(sessions)]


SESSIONS = [(subject, f"{subject}-{day}") for subject in ("S1", "S2", "S3") for day in range(3)]  # 9 units


def test_a_tiny_noisy_lead_over_the_refit_is_not_a_win_and_a_large_consistent_one_is():
    rng = np.random.default_rng(0)
    refit = 0.6 + rng.normal(0, 0.05, len(SESSIONS))
    noisy = np.array([0.03, -0.025, 0.02, -0.03, 0.035, -0.02, 0.01, -0.015, 0.013])  # mean +0.002
    scores = {("refit", "8"): refit, ("procrustes", "8"): refit + noisy,
              ("cca", "8"): refit + 0.1 + rng.normal(0, 0.01, len(SESSIONS))}
    table = calibration_table(pd.DataFrame(ladder_table(scores, SESSIONS))).set_index("alignment")
    tiny, large = table.loc["procrustes"], table.loc["cca"]
    assert tiny["refit_diff"] == pytest.approx(0.002) and tiny["mean"] > tiny["refit_mean"]
    assert tiny["refit_p"] > 0.5 and tiny["refit_p_holm"] > 0.5
    assert tiny["beats_refit"] is False and pd.isna(tiny["beats_refit_up_to"])  # a comparison of means said 8
    assert large["beats_refit"] is True and large["beats_refit_up_to"] == "8" and large["refit_p_holm"] < 0.001
    assert large["refit_diff"] == pytest.approx(large["mean"] - large["refit_mean"])
    assert (large["n_subjects_agree"], large["n_subjects"]) == (3, 3)
    assert 0 <= tiny["n_subjects_agree"] <= tiny["n_subjects"] == 3


def test_a_win_is_in_the_metrics_better_direction():
    lower = {("refit", "8"): np.full(len(SESSIONS), 0.5), ("procrustes", "8"): np.linspace(0.1, 0.2, len(SESSIONS))}
    row = calibration_table(pd.DataFrame(ladder_table(lower, SESSIONS, metric="off_diagonal_mean_r")))
    row = row[row["alignment"] == "procrustes"].iloc[0]
    assert row["refit_diff"] > 0 and row["beats_refit"] is True and not row["higher_is_better"]


def test_holm_adjusts_over_the_k_of_one_method_alignment_and_curve():
    from ner_bench.statistics.paired import holm

    rng = np.random.default_rng(1)
    rows = []
    for method in ("m1", "m2"):
        for target in ("velocity", "position"):
            scores = {}
            for size in ("8", "16", "32"):
                scores["refit", size] = rng.normal(0.5, 0.05, len(SESSIONS))
                for alignment, lead in (("procrustes", 0.02), ("cca", 0.05)):
                    scores[alignment, size] = scores["refit", size] + lead + rng.normal(0, 0.04, len(SESSIONS))
            rows += ladder_table(scores, SESSIONS, method=method, target=target)
    table = calibration_table(pd.DataFrame(rows))
    tested = table[~table["alignment"].isin(["refit", "ceiling"])]
    for _, group in tested.groupby(["method", "target", "alignment"]):
        assert list(group["calibration_size"]) == ["8", "16", "32"]
        np.testing.assert_allclose(group["refit_p_holm"], holm(group["refit_p"]))
    assert not np.allclose(tested["refit_p_holm"], holm(tested["refit_p"]))  # not pooled over the groups
    assert (tested["refit_p_holm"] >= tested["refit_p"]).all()


def test_without_two_shared_units_there_is_no_claim():
    one = [SESSIONS[0]]
    table = calibration_table(pd.DataFrame(ladder_table({("refit", "8"): [0.4], ("procrustes", "8"): [0.9],
                                                         ("procrustes", "16"): [0.9]}, one)))
    procrustes = table[table["alignment"] == "procrustes"].set_index("calibration_size")
    assert np.isnan(procrustes.loc["8", "beats_refit"]) and "1 shared unit(s)" in procrustes.loc["8", "refit_note"]
    assert procrustes.loc["16", "refit_note"] == "no refit control at this K"
    assert set(procrustes["beats_refit_up_to"]) == {None}
    assert list(table.columns) == list(COLUMNS)


def test_rows_written_before_calibration_blocks_were_balanced_are_first_blocks():
    rows = pd.DataFrame(ladder_table({("refit", "8"): [0.4, 0.5], ("procrustes", "8"): [0.5, 0.6]}, SESSIONS[:2]))
    assert set(calibration_table(rows)["calibration_block"]) == {"first"}
    both = pd.concat([rows.assign(calibration_block="balanced"), rows.assign(calibration_block="first", value=0.1)])
    table = calibration_table(both)
    assert sorted(table.groupby("calibration_block")["mean"].max()) == [0.1, 0.55]  # kept apart


def test_the_page_gives_each_claim_its_holm_p_and_subject_agreement():
    from ner_bench.calibration_report import calibration_section

    rng = np.random.default_rng(3)
    refit = 0.6 + rng.normal(0, 0.05, len(SESSIONS))
    scores = {("refit", "8"): refit, ("refit", "16"): refit + 0.05, ("ceiling", "all"): refit + 0.1,
              ("procrustes", "8"): refit + 0.05 + rng.normal(0, 0.01, len(SESSIONS)),
              ("procrustes", "16"): refit + 0.05 + rng.normal(0, 0.05, len(SESSIONS))}
    table = calibration_table(pd.DataFrame(ladder_table(scores, SESSIONS)))
    html = calibration_section(table, ("d", "cross-session", "strict"), lambda kind, header, rows: "\n".join(rows))
    (claim,) = [line for line in html.splitlines() if ">procrustes<" in line]
    at_8 = table[(table["alignment"] == "procrustes") & (table["calibration_size"] == "8")].iloc[0]
    assert at_8["beats_refit"] is True and at_8["beats_refit_up_to"] == "8"
    assert f"<td>8 <span class=ci>(p<sub>Holm</sub> ≤ {at_8['refit_p_holm']:.2g}; 3/3 subjects)</span></td>" in claim
    assert f"Δ {at_8['refit_diff']:+.3f}, p<sub>Holm</sub> {at_8['refit_p_holm']:.2g}, 3/3 subjects" in claim
    assert "first calibration blocks" in html


def test_the_run_summary_says_what_the_ladder_rows_are():
    from ner_bench.cli.run_cmd import calibration_note

    table = nb.run(methods="pca", tasks="cross-session[calibration=8+all]", out=None, progress=False,
                   dataset="synthetic[n_sessions=4,n_s1_sessions=0,n_trials=48,n_neurons=12]")
    note = calibration_note(table)
    assert "calibration ladder" in note and "K = 0, 8, all" in note and "procrustes" in note
    assert calibration_note(table[~table["calibration_curve"]]) == ""


def test_the_label_free_axes_rung_recovers_a_planted_isometry_and_refuses_when_it_cannot():
    from ner_bench.calibration import axes_map

    rng = np.random.default_rng(2)
    rec = make_recording(n_trials=40, id="A", subject="S", area="M1", date="2026-01-01")
    latent = rng.gamma(2.0, size=(rec.n_bins, 3)) * np.array([3.0, 1.5, 0.6])  # skewed, distinct variances
    source = Embedding(rec, chronological_split(rec), latent)
    planted = special_ortho_group.rvs(3, random_state=5) @ np.diag([1.0, -1.0, 1.0])  # with a reflection
    moved = Embedding(rec.replace(id="B"), source.split, latent @ planted + np.array([4.0, 0.0, -2.0]))
    mapping = axes_map(source.part("train"), calibration_block(moved, "all"))
    np.testing.assert_allclose(mapping.matrix @ mapping.matrix.T, np.eye(3), atol=1e-10)  # an isometry
    np.testing.assert_allclose(mapping.matrix, planted.T, atol=1e-8)
    white = rng.normal(size=(rec.n_bins, 3))
    train_rows = np.isin(rec.trial, source.split.train_trials)
    white = white @ np.linalg.inv(np.linalg.cholesky(np.cov(white[train_rows], rowvar=False))).T
    round_sphere = Embedding(rec, source.split, white)  # unit covariance on its training bins: no axis stands out
    with pytest.raises(NerBenchError, match="cannot be told apart without labels"):
        axes_map(round_sphere.part("train"), calibration_block(moved, "all"))


def test_session_by_session_matrices_at_one_calibration_size():
    pytest.importorskip("matplotlib")
    from ner_bench.board import combine
    from ner_bench.calibration_figures import calibration_matrix_specs
    from ner_bench.results import on_calibration_curve

    table = combine(nb.run(methods="pca", tasks="cross-session[calibration=8+16+all]", out=None, progress=False,
                           dataset="synthetic[n_sessions=4,n_s1_sessions=0,n_trials=48,n_neurons=12]"))
    specs = calibration_matrix_specs(table[on_calibration_curve(table)], "16")
    assert {spec.info["alignment"] for spec in specs} == {"centre", "moments", "axes", "procrustes", "cca", "refit"}
    scores = specs[0].args[0]
    assert (scores["train_unit"] != scores["test_unit"]).all() and scores["value"].notna().all()
    assert all(spec.kind == "calibration_matrix" and "K = 16" in spec.title for spec in specs)


def test_decoders_are_fitted_once_per_content(pair):
    from ner_bench.decoders import fit_decoders

    source, target = pair
    train = source.part("train")
    again = type(train)(train.values.copy(), train.recording)  # equal content, another object
    assert fit_decoders(train, STRICT) is fit_decoders(again, STRICT)
    assert fit_decoders(train, STRICT) is not fit_decoders(target.part("train"), STRICT)
    assert fit_decoders(train, STRICT) is not fit_decoders(train, PAPER)
    assert fit_decoders(train, STRICT, decoders=("linear",)) is not fit_decoders(train, STRICT)


def test_the_controls_are_scored_once_per_target_whatever_the_source(pair):
    """refit and ceiling rows do not depend on A: a second source for the same B takes them from the memo,
    equal, and as rows of their own (a caller changing one leaves the other as it was)."""
    from ner_bench.calibration_ladder import _CONTROL_ROWS

    source, target = pair
    other = embedding(source.recording, seed=7)
    _CONTROL_ROWS.clear()
    controls = ("refit", "ceiling")
    first = ladder_rows(source, target, STRICT, (8, 16, "all"), controls, DECODERS)
    held = len(_CONTROL_ROWS)
    second = ladder_rows(other, target, STRICT, (8, 16, "all"), controls, DECODERS)
    assert held == 3 and len(_CONTROL_ROWS) == held  # refit at 8 and 16, ceiling; nothing new for A'
    assert first == second and first[0] is not second[0]


def test_the_bounded_memo_keeps_the_most_recently_used():
    from ner_bench.memo import BoundedMemo

    memo, computed = BoundedMemo(2), []
    for key in ["a", "b", "a", "c", "a", "b"]:
        memo.get(key, lambda: computed.append(key) or key.upper())
    assert computed == ["a", "b", "c", "b"] and len(memo) == 2  # "b" went when "c" came ("a" was used later)


def test_the_ladder_is_drawn_per_alignment_and_per_method():
    pytest.importorskip("matplotlib")
    from ner_bench.calibration_figures import calibration_by_method_figure, calibration_figure, calibration_specs
    from ner_bench.figures import method_colors

    base = dict(dataset="d", task="cross-session", protocol="strict", split="test", cells="different recordings",
                pair_type="cross-session", decoder="linear", target="velocity", metric="r2", seed=0, status="ok",
                time_bin=pd.NA, subject="S", calibration_curve=True, train_unit="A", test_unit="B")
    rows = [dict(base, method=m, method_label=m, test_session=s, alignment=a, alignment_mode=mode,
                 calibration_size=k, value=v)
            for m in ("m1", "m2", "m3") for s in ("s1", "s2")
            for a, mode, sizes in [("none", "none", ["0"]), ("procrustes", "supervised", ["8", "all"]),
                                   ("refit", "control", ["8"]), ("ceiling", "control", ["all"])]
            for k, v in zip(sizes, (0.5, 0.6))]
    table = calibration_table(pd.DataFrame(rows))
    colors = method_colors(table["method"])
    specs = calibration_specs(table, colors)
    assert sorted(spec.kind for spec in specs) == ["calibration", "calibration_methods"]
    figure = calibration_by_method_figure(table, "t")
    assert [ax.get_title() for ax in figure.axes if ax.get_visible()] == ["m1", "m2", "m3"]
    # a diverging rung (R^2 -20 000) is cut at the floor without stretching the top of the axis
    table.loc[table["alignment"] == "none", "mean"] = -20_000.0
    for draw in (calibration_by_method_figure(table, "t"), calibration_figure(table, colors, "t")):
        bottom, top = draw.axes[0].get_ylim()
        assert bottom > -1.2 and top < 1.0
