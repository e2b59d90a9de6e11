"""Leaderboard statistics against independent, hand-derivable computations."""

import math

import numpy as np
import pandas as pd
import pytest

from support.leaderboard_data import fabricated_results, row
from ner_bench import NerBenchError
from ner_bench import statistics as st

# A known table: 3 methods x 4 recordings; method A has two seeds on recording r1 (0.85 and 0.95 -> 0.9).
KNOWN = {
    "A": [0.90, 0.80, 0.85, 0.95],
    "B": [0.70, 0.75, 0.60, 0.80],
    "C": [0.72, 0.70, 0.66, 0.79],
}
UNITS = ["r1", "r2", "r3", "r4"]
T_975_DF3 = 3.182446305284263  # Student t quantile, 97.5 %, 3 degrees of freedom (tables)


def known_table() -> pd.DataFrame:
    rows = []
    for method, values in KNOWN.items():
        for unit, value in zip(UNITS, values):
            if method == "A" and unit == "r1":
                rows += [row(method=method, train_unit=unit, test_unit=unit, seed=s, value=v)
                         for s, v in ((0, 0.85), (1, 0.95))]
            else:
                rows.append(row(method=method, train_unit=unit, test_unit=unit, seed=0, value=value))
    return pd.DataFrame(rows)


def t3_two_sided_p(t: float) -> float:
    """Closed form of Student's t CDF with 3 degrees of freedom: independent of scipy."""
    cdf = 0.5 + (t / (math.sqrt(3) * (1 + t * t / 3)) + math.atan(t / math.sqrt(3))) / math.pi
    return 2 * (1 - cdf)


def hand_t(a: list[float], b: list[float]) -> float:
    d = [x - y for x, y in zip(a, b)]
    mean = sum(d) / len(d)
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1))
    return mean / (sd / math.sqrt(len(d)))


def hand_holm(p: list[float]) -> list[float]:
    order = sorted(range(len(p)), key=lambda i: p[i])
    adjusted, running = [0.0] * len(p), 0.0
    for k, i in enumerate(order):
        running = max(running, (len(p) - k) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def test_holm_on_hand_computed_values():
    np.testing.assert_allclose(st.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(st.holm([0.02, 0.5, 0.001]), [0.04, 0.5, 0.003])
    np.testing.assert_allclose(st.holm([0.6, 0.4]), [0.8, 0.8])  # monotone, clipped at 1 only if needed
    adjusted = st.holm([0.01, np.nan, 0.04])  # NaN is not a test: m = 2
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])
    assert np.isnan(adjusted[1])


def test_summary_matches_hand_computation_with_seeds_averaged_first():
    summary, _ = st.leaderboard_tables(known_table())
    a = summary.set_index("method").loc["A"]
    values = KNOWN["A"]
    mean = sum(values) / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
    assert a["n_units"] == 4 and a["unit"].startswith("session") and a["seeds"] == "1-2"
    assert a["mean"] == pytest.approx(0.875) and a["sd"] == pytest.approx(sd)
    assert a["ci_low"] < a["mean"] < a["ci_high"] and min(values) <= a["ci_low"] and a["ci_high"] <= max(values)
    assert a["median"] == pytest.approx(0.875) and a["iqm"] == pytest.approx(np.mean(sorted(values)[1:3]))
    assert summary["method"].tolist() == ["A", "C", "B"] and summary["rank"].tolist() == [1, 2, 3]
    assert (summary["direction"] == "higher").all()


def test_hierarchical_bootstrap_resamples_subjects_sessions_and_seeds():
    from ner_bench.statistics.bootstrap import hierarchical_ci

    rng = np.random.default_rng(0)
    flat = pd.DataFrame({"subject": "M", "test_session": [f"s{i}" for i in range(8)], "seed": 0,
                         "value": rng.normal(0, 1, 8)})
    assert hierarchical_ci(flat) == hierarchical_ci(flat)  # a fixed seed: the same interval every time
    # one subject, one seed: the ordinary bootstrap of the mean, whose width is about 2 x 1.96 x SE
    low, high = hierarchical_ci(flat)
    se = flat["value"].std(ddof=0) / np.sqrt(8)
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.15)
    # two subjects far apart: resampling subjects widens the interval far beyond the session-level one
    two = flat.assign(subject=["M"] * 4 + ["N"] * 4, value=flat["value"] * 0.1 + np.repeat([0.0, 10.0], 4))
    low2, high2 = hierarchical_ci(two)
    assert high2 - low2 > 5
    # seeds vary within sessions: they widen the interval, and a session's seeds never mix with another's
    seeds = pd.concat([flat.assign(seed=k, value=flat["value"] + k * 3) for k in range(3)])
    assert np.subtract(*hierarchical_ci(seeds)[::-1]) > high - low
    assert np.isnan(hierarchical_ci(flat.iloc[:1])[0])


def test_paired_t_tests_and_holm_match_an_independent_computation():
    _, pairwise = st.leaderboard_tables(known_table())
    pairs = pairwise.set_index(["method_a", "method_b"])
    expected_p = {}
    for a, b in [("A", "C"), ("A", "B"), ("C", "B")]:
        t = hand_t(KNOWN[a], KNOWN[b])
        expected_p[(a, b)] = t3_two_sided_p(abs(t))
        got = pairs.loc[(a, b)]
        assert got["t_statistic"] == pytest.approx(t, rel=1e-9)
        assert got["t_df"] == 3 and got["n_shared"] == 4
        assert got["t_p"] == pytest.approx(expected_p[(a, b)], rel=1e-7)
        d = np.subtract(KNOWN[a], KNOWN[b])
        assert got["cohens_dz"] == pytest.approx(t / 2)  # dz = t / sqrt(n)
        half = T_975_DF3 * d.std(ddof=1) / 2
        assert (got["diff_ci_low"], got["diff_ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    keys = list(expected_p)
    for key, adjusted in zip(keys, hand_holm([expected_p[k] for k in keys])):
        assert pairs.loc[key, "t_p_holm"] == pytest.approx(adjusted, rel=1e-7)
    # A vs B: t = 3.806 by hand (mean 0.1625, sd 0.08539), p = 0.0319
    assert pairs.loc[("A", "B"), "t_statistic"] == pytest.approx(3.806, abs=1e-3)
    assert pairs.loc[("A", "B"), "t_p"] == pytest.approx(0.0319, abs=1e-4)


def test_wilcoxon_exact_p_and_degenerate_cases():
    # 4 differences of one sign: exact two-sided p = 2 / 2^4
    result = st.paired_comparison(np.array([1.0, 2.0, 3.0, 5.0]), np.zeros(4))
    assert result["wilcoxon_p"] == pytest.approx(0.125)
    assert "cannot reach p < 0.05" in result["note"]
    single = st.paired_comparison(np.array([1.0]), np.array([0.5]))
    assert np.isnan(single["t_p"]) and np.isnan(single["wilcoxon_p"]) and "1 shared unit" in single["note"]
    same = st.paired_comparison(np.array([0.3, 0.4, 0.5]), np.array([0.3, 0.4, 0.5]))
    assert np.isnan(same["t_p"]) and np.isnan(same["wilcoxon_p"]) and "all differences are zero" in same["note"]
    constant = st.paired_comparison(np.array([0.5, 0.6, 0.7]), np.array([0.4, 0.5, 0.6]))
    assert constant["t_p"] == 0.0 and np.isnan(constant["cohens_dz"]) and "constant difference" in constant["note"]


def test_batched_paired_tests_give_each_row_its_own_scipy_test():
    """Rows are tested in batches; scipy picks exact, permutation or normal-approximation p from zeros and ties
    anywhere in a batch, so a batch must never mix rows it would treat differently."""
    import warnings
    from scipy import stats
    from ner_bench.statistics.paired import paired_comparisons

    rng = np.random.default_rng(3)
    for n in (3, 8, 16):
        b = np.round(rng.normal(size=(12, n)), 2)
        a = b + np.round(rng.normal(0.3, 1.0, size=(12, n)), 1)  # rounding makes ties
        a[1, :2] = b[1, :2]  # zero differences
        a[2] = b[2] + 0.25  # constant difference
        a[3] = b[3]  # no difference at all
        a[4:8] = b[4:8] + rng.normal(0.3, 1.0, size=(4, n))  # neither zeros nor ties: scipy's exact p
        results = paired_comparisons(a, b)
        assert "all differences are zero" in results[3]["note"] and np.isnan(results[3]["wilcoxon_p"])
        for row in (0, 1, 2, *range(4, 12)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = stats.wilcoxon(a[row], b[row])
                t = stats.ttest_rel(a[row], b[row])
            assert (results[row]["wilcoxon_p"], results[row]["wilcoxon_statistic"]) == (expected.pvalue,
                                                                                        expected.statistic)
            if row != 2:
                assert (results[row]["t_p"], results[row]["t_statistic"]) == (t.pvalue, t.statistic)


def comparisons(p: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame([dict(method_a=a, method_b=b, blocked_p_holm=v) for (a, b), v in p.items()])


def shares(letters: list[str], i: int, j: int) -> bool:
    return bool(set(st.groups.letter_tokens(letters[i])) & set(st.groups.letter_tokens(letters[j])))


def test_letters_read_both_ways_on_hand_made_families():
    # A and C differ, B differs from neither: B shares a letter with each, A and C share none
    chained = {("A", "B"): 0.5, ("A", "C"): 0.01, ("B", "C"): 0.2, ("A", "D"): 0.001, ("B", "D"): 0.001,
               ("C", "D"): 0.001}
    assert st.letter_groups(list("ABCD"), comparisons(chained), 0.05) == ["a", "ab", "b", "c"]
    # D differs from nobody: it shares a letter with every method (the old runs display left A and D apart)
    split = {("A", "B"): 0.5, ("A", "C"): 0.01, ("B", "C"): 0.04, ("A", "D"): 0.3, ("B", "D"): 0.3, ("C", "D"): 0.6}
    assert st.letter_groups(list("ABCD"), comparisons(split), 0.05) == ["a", "a", "b", "ab"]
    untestable = {("A", "B"): np.nan}
    assert st.letter_groups(["A", "B"], comparisons(untestable), 0.05) == ["a", "a"]
    assert st.letter_groups(["A", "B"], comparisons({("A", "B"): 0.03}), 0.01) == ["a", "a"]
    assert st.letter_groups(["A", "B"], comparisons({("A", "B"): 0.03}), 0.05) == ["a", "b"]


@pytest.mark.parametrize("seed", range(30))
def test_letters_read_both_ways_on_random_separations(seed):
    rng = np.random.default_rng(seed)
    methods = [f"m{i}" for i in range(int(rng.integers(2, 14)))]
    share_separated = rng.choice([0.1, 0.5, 0.9])
    p = {(a, b): float(0.001 if rng.random() < share_separated else 0.5)
         for i, a in enumerate(methods) for b in methods[i + 1:]}
    letters = st.letter_groups(methods, comparisons(p), 0.05)
    assert all(letters)
    for (a, b), value in p.items():
        assert shares(letters, methods.index(a), methods.index(b)) == (value >= 0.05), (a, b, letters)
    differs = st.groups.separability(comparisons(p), 0.05)
    assert st.reads_both_ways(methods, letters, differs) == []


def test_letters_on_planted_differences_in_a_results_table():
    """Three tiers of methods, 8 sessions of 2 subjects: every pair across tiers is separated and shares no
    letter, every pair within a tier shares one."""
    rng = np.random.default_rng(3)
    tiers = {"A1": 0.9, "A2": 0.9, "B1": 0.6, "B2": 0.6, "C1": 0.3}
    rows = []
    for session in range(8):
        subject = "S1" if session < 4 else "S2"
        offset = rng.normal(0, 0.05)
        for method, level in tiers.items():
            value = level + offset + rng.normal(0, 0.01)
            rows.append(row(method=method, train_unit=f"u{session}", test_unit=f"u{session}", seed=0, value=value,
                            subject=subject))
    summary, pairwise = st.leaderboard_tables(pd.DataFrame(rows))
    letters = dict(zip(summary["method"], summary["tie_group"]))
    for pair in pairwise.itertuples():
        same_tier = pair.method_a[0] == pair.method_b[0]
        assert pair.significant != same_tier
        assert bool(set(letters[pair.method_a]) & set(letters[pair.method_b])) == same_tier


def test_blocked_test_removes_between_subject_variance_and_counts_agreeing_subjects():
    diff = np.array([0.30, 0.32, 0.31, 0.02, 0.04, 0.03])
    subjects = np.array(["Han", "Han", "Han", "Chewie", "Chewie", "Chewie"])
    out = st.blocked_paired_test(diff, subjects)
    residual = np.array([-0.01, 0.01, 0, -0.01, 0.01, 0])
    sigma2 = residual @ residual / (6 - 2)
    t = diff.mean() / math.sqrt(sigma2 / 6)
    assert out["blocked_df"] == 4 and out["blocked_t"] == pytest.approx(t)
    from scipy import stats
    assert out["blocked_p"] == pytest.approx(2 * stats.t.sf(t, 4))
    assert out["blocked_p"] < stats.ttest_1samp(diff, 0).pvalue  # blocking takes the monkeys' offsets out
    assert (out["n_subjects"], out["subjects_agree"]) == (2, 2)
    assert out["subject_diffs"] == "Chewie +0.030; Han +0.310"
    flipped = st.blocked_paired_test(np.array([0.3, 0.32, -0.01, -0.03]), np.array(["A", "A", "B", "B"]))
    assert flipped["subjects_agree"] == 1
    one_each = st.blocked_paired_test(np.array([0.1, 0.2]), np.array(["A", "B"]))
    assert math.isnan(one_each["blocked_p"])  # no residual degrees of freedom: no test


def test_blocked_test_with_one_subject_is_the_paired_t_test():
    from scipy import stats
    diff = np.array([0.1, 0.3, -0.05, 0.2])
    out = st.blocked_paired_test(diff, np.array(["A"] * 4))
    assert out["blocked_p"] == pytest.approx(stats.ttest_1samp(diff, 0).pvalue)


def test_mixed_model_matches_statsmodels():
    import warnings
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    rng = np.random.default_rng(1)
    subjects = np.repeat(["C", "M", "H"], [4, 6, 3])
    y = rng.normal(0.1, 0.05, 13) + np.repeat([0.1, -0.05, 0.02], [4, 6, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sm.MixedLM(y, np.ones((13, 1)), groups=subjects).fit(reml=True)
    ours = st.mixed_intercept_test(y, subjects)
    assert ours["mixed_mean"] == pytest.approx(expected.fe_params[0], rel=1e-5)
    assert ours["mixed_se"] == pytest.approx(expected.bse_fe[0], rel=1e-3)
    assert ours["mixed_p"] == pytest.approx(expected.pvalues[0], rel=1e-2)
    source, target = rng.integers(0, 6, 40), rng.integers(0, 6, 40)
    subject = np.where(source < 3, "C", "M")
    y = rng.normal(0.1, 0.05, 40) + rng.normal(0, 0.05, 6)[source] + rng.normal(0, 0.03, 6)[target]
    frame = pd.DataFrame(dict(y=y, source=source, target=target, subject=subject, everything=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = smf.mixedlm("y ~ 1", frame, groups="everything", vc_formula={
            "subject": "0 + C(subject)", "source": "0 + C(source)", "target": "0 + C(target)"}).fit(reml=True)
    ours = st.mixed_intercept_test(y, subject, source, target)
    assert ours["mixed_components"] == 3
    assert ours["mixed_mean"] == pytest.approx(expected.fe_params.iloc[0], rel=1e-4)
    assert ours["mixed_p"] == pytest.approx(expected.pvalues.iloc[0], rel=2e-2)


def test_lower_is_better_metrics_rank_the_other_way(monkeypatch):
    from ner_bench import metrics

    monkeypatch.setitem(metrics.METRICS, "error", metrics.Metric("error", "lower", "an error"))
    table = known_table().assign(metric="error")
    summary, pairwise = st.leaderboard_tables(table)
    assert summary["method"].tolist() == ["B", "C", "A"] and not summary["higher_is_better"].any()
    assert pairwise["method_a"].iloc[0] == "B"
    assert summary.set_index("method").loc["B", "mean_rank"] < summary.set_index("method").loc["A", "mean_rank"]


def test_a_metric_without_a_declared_direction_is_an_error():
    with pytest.raises(NerBenchError, match="metric 'undeclared_score' has no declared direction"):
        st.leaderboard_tables(known_table().assign(metric="undeclared_score"))


def test_descriptive_metrics_are_summarised_not_ranked():
    summary, pairwise = st.leaderboard_tables(known_table().assign(metric="pearson_r"))
    assert summary["rank"].isna().all() and (summary["tie_group"] == "").all() and pairwise.empty
    assert summary.set_index("method").loc["A", "mean"] == pytest.approx(0.875)


def test_average_ranks_friedman_and_critical_difference():
    summary, _ = st.leaderboard_tables(known_table())
    ranks = summary.set_index("method")["mean_rank"]
    # per recording (A, B, C): r1 0.9/0.7/0.72, r2 0.8/0.75/0.7, r3 0.85/0.6/0.66, r4 0.95/0.8/0.79
    assert ranks.to_dict() == pytest.approx({"A": 1.0, "B": 2.5, "C": 2.5})
    cd = 2.343 * math.sqrt(3 * 4 / (6 * 4))  # Demsar 2006, q_0.05 for k = 3
    assert summary["critical_difference"].iloc[0] == pytest.approx(cd, rel=1e-3)
    assert 0 < summary["friedman_p"].iloc[0] < 0.1


def test_cross_tasks_compare_test_sessions_not_ordered_pairs():
    summary, pairwise = st.leaderboard_tables(fabricated_results())
    cross = summary[(summary["task"] == "cross-session") & (summary["metric"] == "r2")
                    & (summary["target"] == "velocity")].set_index(["cells", "method"])
    # 12 ordered pairs of 4 recordings: 4 independent units (each test recording's pairs averaged)
    assert cross.loc[(st.DIFFERENT, "good"), "n_units"] == 4
    assert cross.loc[(st.DIFFERENT, "good"), "unit"].startswith("test session")
    assert cross.loc[(st.SAME, "good"), "n_units"] == 4
    assert cross.loc[(st.DIFFERENT, "good"), "tie_group"] == "a"
    across = pairwise[pairwise["cells"] == st.DIFFERENT]
    assert (across["t_df"] <= 4 - 1).all()  # at most the number of recordings minus one
    within = summary[(summary["task"] == "within-session")].set_index(["target", "metric", "method"])
    assert within.loc[("velocity", "r2", "fair2"), "n_failed"] == 1
    assert within.loc[("velocity", "r2", "good"), "n_failed"] == 0
    assert "accuracy" not in set(summary["metric"])  # per-time-bin rows are not ranked
    families = pairwise.groupby(st.FAMILY).size()
    assert (families == 3).all()


def test_the_two_areas_of_one_session_are_one_unit():
    rows = [row(method=m, train_unit=f"d{d}_{area}", test_unit=f"d{d}_{area}", test_session=f"d{d}",
                value=v + 0.1 * d + 0.01 * (area == "PMd"))
            for m, v in (("x", 0.5), ("y", 0.3)) for d in range(3) for area in ("M1", "PMd")]
    summary, pairwise = st.leaderboard_tables(pd.DataFrame(rows))
    assert (summary["n_units"] == 3).all() and (summary["n_recordings"] == 6).all()
    assert pairwise["t_df"].tolist() == [2]


def test_time_course_averages_units_per_time_bin():
    course = st.time_course(st.prepare(fabricated_results(n_bins=4)))
    part = course[(course["task"] == "within-session") & (course["method"] == "good")]
    assert part["time_bin"].tolist() == [0, 1, 2, 3] and (part["n_units"] == 4).all()
    assert (part["ci_low"] <= part["mean"]).all() and (part["mean"] <= part["ci_high"]).all()


def test_method_variants_get_labels_from_the_parameters_that_differ():
    table = pd.DataFrame([row(method="ner", method_params='{"dim": 3, "iterations": 2000}'),
                          row(method="ner", method_params='{"dim": 3, "iterations": 20000}'),
                          row(method="pca", method_params='{"dim": 3}')])
    assert st.prepare(table)["method_label"].tolist() == ["ner[iterations=2000]", "ner[iterations=20000]", "pca"]


def test_missing_columns_are_named():
    with pytest.raises(NerBenchError, match="missing column.*value"):
        st.prepare(known_table().drop(columns=["value"]), source="x/results.csv")
    with pytest.raises(NerBenchError, match="alpha"):
        st.leaderboard_tables(known_table(), alpha=1.5)


def test_unknown_decoder_metric_combinations_without_a_target_are_kept():
    rows = [row(task="latent-correlation", method=m, train_unit=a, test_unit=b, decoder="alignment", target=None,
                metric=metric, value=v + (0.3 if m == "x" else 0.0) + 0.01 * i)
            for i, (a, b) in enumerate([("d1", "d2"), ("d2", "d3"), ("d3", "d1")])
            for m in ("x", "y") for metric, v in (("diagonal_mean_r", 0.5), ("consistency_r2", 0.4))]
    summary, pairwise = st.leaderboard_tables(pd.DataFrame(rows))
    assert set(summary["metric"]) == {"diagonal_mean_r", "consistency_r2"} and (summary["target"] == "-").all()
    assert (summary[summary["method"] == "x"]["rank"] == 1).all() and (summary["n_units"] == 3).all()
    assert len(pairwise) == 2 and (pairwise["t_p"] == 0).all()  # constant differences of 0.3


def test_method_labels_use_a_variants_own_label_parameter():
    from ner_bench.statistics import method_labels

    table = pd.DataFrame({"method": ["precomputed", "precomputed", "pca"],
                          "method_params": ['{"label": "NER (published)", "path": "/a"}',
                                            '{"label": "CEBRA (published)", "path": "/b"}', '{"dim": 3}']})
    assert method_labels(table).tolist() == ["NER (published)", "CEBRA (published)", "pca"]


def test_raw_across_recordings_is_shown_but_not_ranked():
    rows = []
    for method, level in (("pca", 0.5), ("ner", 0.7), ("raw", 0.9)):
        for i, (train, test) in enumerate([("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")]):
            rows.append(row(task="cross-session", method=method, train_unit=train, test_unit=test, value=level + i / 100,
                            subject="S1" if i < 2 else "S2"))
    rows += [row(method="raw", train_unit=u, test_unit=u, value=0.95, subject="S1") for u in "ab"]
    rows += [row(method="pca", train_unit=u, test_unit=u, value=0.5, subject="S1") for u in "ab"]
    summary, pairwise = st.leaderboard_tables(pd.DataFrame(rows))
    across = summary[summary["task"] == "cross-session"].set_index("method")
    assert pd.isna(across.loc["raw", "rank"]) and across.loc["raw", "tie_group"] == ""
    assert "neurons" in across.loc["raw", "unranked_reason"]
    assert list(across.loc[["ner", "pca"], "rank"]) == [1, 2]
    cross_pairs = pairwise[pairwise["task"] == "cross-session"]
    assert "raw" not in set(cross_pairs["method_a"]) | set(cross_pairs["method_b"])
    within = summary[summary["task"] == "within-session"].set_index("method")
    assert within.loc["raw", "rank"] == 1  # within a recording the neurons are its own: ranked as usual
    assert "2 subjects" in across["scope"].iloc[0]
    assert within["scope"].iloc[0].startswith("one subject (S1)")
