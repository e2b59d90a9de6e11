#!/usr/bin/env bash
# Regenerates leaderboards/reaching/ from the NER release files in DATA (default ../shared/data/ner-release):
# the strict benchmark on every recording at hand (all methods, shuffle controls, all tasks, 3 seeds), and the published
# embeddings at hand under the paper protocol and under strict, side by side.
# Usage: bash leaderboards/publish.sh [DATA] [ITERATIONS]   (from the repository root)
set -euo pipefail
DATA=${1:-../shared/data/ner-release}
ITERATIONS=${2:-2000}  # NER/CEBRA training steps (the budget curves of leaderboards/budget/ justify 2 000; published: 20 000)
RUNS=${RUNS:-results-publish}
JOBS=${JOBS:-2}
NPZ="$DATA/data_NER/M1 4+6+6"
STEP="iterations=$ITERATIONS"
METHODS="ner[$STEP],cebra[$STEP],cebra-16[$STEP],cebra-time[$STEP],cebra-hybrid[$STEP],pivae,psid,gpfa,fa,jpca,pca,pca-avg,dpca,umap,umap-label,raw,random,behavior"
CONTROLS="ner[$STEP,shuffled=trials],cebra[$STEP,shuffled=trials]"   # shuffle controls of the two headline methods
PUBLISHED="precomputed[path=$NPZ/NER_Chewie/NPZ,label=NER (published embedding)],precomputed[path=$NPZ/Cebra_Chewie/NPZ,label=CEBRA (published embedding)]"

# every task with every decoder: kNN across recordings answers each pair with one query of A's own index
# (ner_bench/source_neighbours.py); the calibration ladder runs on the cross-recording tasks
TASKS="within-session,cross-session,cross-hemisphere,cross-area,latent-correlation"
# every recording at hand: Chewie, Mihili and Han (21 of the release's 31). The board is made in chunks, one
# run folder per subject and seed (no task pairs two subjects or two seeds), because all of it takes longer than
# one sitting on 2 cores: SUBJECTS="Han" SEEDS="0" runs one chunk. Each chunk's results table is kept in
# leaderboards/reaching/results/ (committed, a few MB: the board is rebuilt from those, never from a cache), and a
# chunk already kept there is not run again (RERUN=1 runs it anyway); SUBJECTS="" makes the board only.
SUBJECTS=${SUBJECTS-Chewie Mihili Han}
SEEDS=${SEEDS:-0 1 2}
KEPT=leaderboards/reaching/results
mkdir -p "$KEPT"
for subject in $SUBJECTS; do
  for seed in $SEEDS; do
    chunk="strict-$subject-seed$seed"
    if [ -f "$KEPT/$chunk.parquet" ] && [ -z "${RERUN:-}" ]; then echo "$chunk: kept in $KEPT"; continue; fi
    status=0
    ner-bench run --methods "$METHODS,$CONTROLS" --task "$TASKS" --dataset reaching --data-dir "$DATA" \
        --seeds "$seed" --subjects "$subject" --jobs "$JOBS" --out "$RUNS/$chunk" || status=$?
    if [ "$status" -gt 1 ]; then echo "$chunk: stopped (exit $status); running again resumes its run folder"; exit "$status"; fi
    if [ "$status" = 1 ]; then echo "$chunk: some units failed (raw cannot be aligned across recordings)"; fi
    cp "$RUNS/$chunk/results.parquet" "$KEPT/$chunk.parquet"
  done
done
for protocol in paper strict; do
  ner-bench run --methods "$PUBLISHED" --task within-session,cross-session --dataset reaching --data-dir "$DATA" \
      --sessions 2015-06-29,2015-06-30 --protocol "$protocol" --out "$RUNS/published-$protocol"
done
# the board of every subject whose chunks are all kept (a subject with some seeds only would weigh its sessions
# on fewer seeds); the trajectories come from the run folders of this sitting (their cache)
BOARD=()
CACHES=()
for subject in Chewie Mihili Han; do
  chunks=()
  for seed in 0 1 2; do
    [ -f "$KEPT/strict-$subject-seed$seed.parquet" ] && chunks+=("$KEPT/strict-$subject-seed$seed.parquet")
  done
  if [ "${#chunks[@]}" != 3 ]; then echo "board: $subject left out (${#chunks[@]} of 3 seeds kept)"; continue; fi
  BOARD+=("${chunks[@]}")
  for folder in "$RUNS/strict-$subject"-seed*; do [ -d "$folder/cache" ] && CACHES+=(--embeddings-from "$folder"); done
done
# PNG figures only: the boards live in the repository (SVGs: run `ner-bench leaderboard` on the same results)
ner-bench leaderboard "${BOARD[@]}" "${CACHES[@]}" --out leaderboards/reaching --data-dir "$DATA" --figure-formats png
ner-bench leaderboard "$RUNS/published-paper" "$RUNS/published-strict" --out leaderboards/published --data-dir "$DATA" \
    --figure-formats png
