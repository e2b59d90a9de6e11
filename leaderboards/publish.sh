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
# every recording at hand: Chewie, Mihili and Han (21 of the release's 31), one run folder per subject (no
# task pairs recordings of two subjects), so that the board can be made in chunks: SUBJECTS="Han" runs one
SUBJECTS=${SUBJECTS:-Chewie Mihili Han}
for subject in $SUBJECTS; do
  ner-bench run --methods "$METHODS,$CONTROLS" --task "$TASKS" --dataset reaching --data-dir "$DATA" --seeds 0,1,2 \
      --subjects "$subject" --jobs "$JOBS" --out "$RUNS/strict-$subject" \
      || echo "$subject: some units failed (raw cannot be aligned across recordings)"
done
for protocol in paper strict; do
  ner-bench run --methods "$PUBLISHED" --task within-session,cross-session --dataset reaching --data-dir "$DATA" \
      --sessions 2015-06-29,2015-06-30 --protocol "$protocol" --out "$RUNS/published-$protocol"
done
ner-bench leaderboard "$RUNS"/strict-* --out leaderboards/reaching --data-dir "$DATA"   # every subject run so far
ner-bench leaderboard "$RUNS/published-paper" "$RUNS/published-strict" --out leaderboards/published --data-dir "$DATA"
