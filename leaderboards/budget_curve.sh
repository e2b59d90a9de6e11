#!/usr/bin/env bash
# The training-length evidence behind the board's budget: NER, CEBRA and CEBRA-16 trained once each for
# LONGEST iterations on two recordings of each monkey (a cross-session pair each), embedded at every
# checkpoint on the way (`checkpoints=`: each checkpoint is the fit of that length, stored as such), scored
# within-session and cross-session (kNN included); leaderboards/budget/ gets the budget-curve table, the
# per-session scores behind it and the budget-curve figures.
# Usage: bash leaderboards/budget_curve.sh [DATA] [LONGEST]   (from the repository root; resumable)
set -euo pipefail
DATA=${1:-../shared/data/ner-release}
LONGEST=${2:-20000}
RUNS=${RUNS:-results-publish}
JOBS=${JOBS:-2}
CHECKPOINTS=$(python3 -c "import sys; n=int(sys.argv[1]); print('+'.join(str(c) for c in (250, 500, 1000, 2000, 5000, 10000) if c < n))" "$LONGEST")
LONG="iterations=$LONGEST,checkpoints=$CHECKPOINTS"
ner-bench run --methods "ner[$LONG],cebra[$LONG],cebra-16[$LONG]" \
    --task "within-session,cross-session[calibration=off]" --dataset reaching --data-dir "$DATA" \
    --sessions 2015-06-29,2015-06-30,2014-02-17,2014-02-18,2017-12-01,2017-12-04 --areas M1,S1 \
    --seeds 0 --jobs "$JOBS" --out "$RUNS/budget"
# the whole board of these 21 variants stays in the run folder; what is published is the curve itself
ner-bench leaderboard "$RUNS/budget" --out "$RUNS/budget-board" --data-dir "$DATA" --no-trajectories
rm -rf leaderboards/budget && mkdir -p leaderboards/budget/figures
cp "$RUNS/budget-board/budget_curve.csv" "$RUNS/budget-board/unit_scores.csv" leaderboards/budget/
cp "$RUNS"/budget-board/figures/budget-curve_* leaderboards/budget/figures/
