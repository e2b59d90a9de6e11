#!/usr/bin/env bash
# Regenerates leaderboards/reaching/ from the NER release files in DATA (default ../shared/data/ner-release):
# the strict benchmark on every recording at hand (all methods, all tasks, 3 seeds), and the published
# embeddings at hand under the paper protocol and under strict, side by side.
# Usage: bash leaderboards/publish.sh [DATA] [ITERATIONS]   (from the repository root)
set -euo pipefail
DATA=${1:-../shared/data/ner-release}
ITERATIONS=${2:-500}   # NER/CEBRA training steps; the published runs used 20 000 (GPU)
RUNS=${RUNS:-results-publish}
JOBS=${JOBS:-2}
NPZ="$DATA/data_NER/M1 4+6+6"
METHODS="ner[iterations=$ITERATIONS],cebra[iterations=$ITERATIONS],cebra-16[iterations=$ITERATIONS],pivae,pca,pca-avg,dpca,umap,umap-label,raw,random,behavior"
PUBLISHED="precomputed[path=$NPZ/NER_Chewie/NPZ,label=NER (published embedding)],precomputed[path=$NPZ/Cebra_Chewie/NPZ,label=CEBRA (published embedding)]"

# kNN grid searches on every cross-recording pair cost ~1.8 s a unit on 2 cores: kNN is scored within-session;
# ridge (penalty by cross-validation over whole trials) beside the published ordinary least squares everywhere
LINEAR="decoders=linear+ridge+logistic"
TASKS="within-session,cross-session[$LINEAR],cross-hemisphere[$LINEAR],cross-area[$LINEAR],latent-correlation"
# Chewie and Han: the 9 recordings of the first board (Mihili's 12 join with the full-board issue)
ner-bench run --methods "$METHODS" --task "$TASKS" --dataset reaching --data-dir "$DATA" --subjects Chewie,Han --seeds 0,1,2 \
    --jobs "$JOBS" --out "$RUNS/strict" || echo "some units failed (raw cannot be aligned across recordings)"
for protocol in paper strict; do
  ner-bench run --methods "$PUBLISHED" --task within-session,cross-session --dataset reaching --data-dir "$DATA" \
      --sessions 2015-06-29,2015-06-30 --protocol "$protocol" --out "$RUNS/published-$protocol"
done
ner-bench leaderboard "$RUNS/strict" --out leaderboards/reaching --data-dir "$DATA"
ner-bench leaderboard "$RUNS/published-paper" "$RUNS/published-strict" --out leaderboards/published --data-dir "$DATA"
