"""Leaderboard statistics: units of replication, per-unit scores, summaries with hierarchical-bootstrap
CIs, paired tests, tie groups (compact letters) and average ranks. Pure pandas/scipy, no plotting.

- ``table``: validating a results table; families and method labels;
- ``units``: which numbers are independent (test sessions), one value per unit;
- ``bootstrap``: CIs that resample subjects, sessions and seeds;
- ``paired``: paired t-test, Wilcoxon, Holm, Cohen's dz;
- ``blocked``: the paired test blocked by subject, and subjects' agreement in sign;
- ``mixed``: a mixed model of a difference (random subject, source and target intercepts);
- ``groups``: letters that two methods share if and only if they are not separated;
- ``ranks``: Friedman and the Nemenyi critical difference;
- ``tables``: the summary and pairwise tables of a leaderboard.
"""

from ..metrics import higher_is_better
from .bootstrap import hierarchical_ci
from .blocked import blocked_paired_test
from .groups import letter_groups, reads_both_ways
from .mixed import mixed_intercept_test
from .paired import compare_methods, holm, mean_ci, paired_comparison
from .ranks import average_ranks
from .table import DIFFERENT, FAMILY, NONE, REQUIRED, SAME, method_labels, prepare
from .tables import (CI_METHOD, DEFAULT_ALPHA, PAIRWISE_COLUMNS, SUMMARY_COLUMNS, describe_methods, failed_counts,
                     leaderboard_tables)
from .units import UNIT, pair_scores, seed_scores, time_course, unit_name, unit_scores

__all__ = ["DIFFERENT", "FAMILY", "NONE", "REQUIRED", "SAME", "UNIT", "CI_METHOD", "DEFAULT_ALPHA",
           "PAIRWISE_COLUMNS", "SUMMARY_COLUMNS", "average_ranks", "compare_methods", "describe_methods",
           "failed_counts", "hierarchical_ci", "higher_is_better", "holm", "leaderboard_tables", "letter_groups",
           "reads_both_ways", "blocked_paired_test", "mixed_intercept_test", "mean_ci", "method_labels", "pair_scores", "paired_comparison",
           "prepare", "seed_scores", "time_course", "unit_name", "unit_scores"]
