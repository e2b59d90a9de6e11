import numpy as np
import pytest
from scipy.stats import special_ortho_group

from support.recordings import make_recording
from ner_bench import Context, NerBenchError, chronological_split
from ner_bench.alignment import align
from ner_bench.decoders import DECODERS
from ner_bench.plugins import discover
from ner_bench.protocol import PAPER, STRICT
from ner_bench.task import Embedding, Unit


def embedding(recording, values=None, dim=3, seed=0) -> Embedding:
    if values is None:
        values = recording.neural @ np.random.default_rng(seed).normal(size=(recording.n_neurons, dim))
    return Embedding(recording, chronological_split(recording), values)


def rotated_reflected(dim=3, seed=1) -> np.ndarray:
    rotation = special_ortho_group.rvs(dim, random_state=seed)
    return rotation @ np.diag([-1.0] + [1.0] * (dim - 1))  # det = -1: a reflection composed with a rotation


@pytest.fixture
def pair():
    a = make_recording(n_trials=40, id="A", subject="S", area="M1", date="2026-01-01")
    b = make_recording(n_trials=40, id="B", subject="S", area="M1", date="2026-01-02", seed=1)
    return a, b


def test_rotated_and_reflected_copy_aligns_back(pair):
    a, _ = pair
    source = embedding(a)
    transform, shift = rotated_reflected(), np.array([3.0, -2.0, 0.5])
    assert np.linalg.det(transform) < 0
    copy = Embedding(a.replace(id="A-copy"), source.split, source.values @ transform + shift)
    found = align(source, copy, "train-procrustes")
    np.testing.assert_allclose(found.rotation, transform, atol=1e-10)
    np.testing.assert_allclose(found.apply(source.values), copy.values, atol=1e-10)


def test_published_alignment_recovers_a_pure_rotation_and_is_flagged(pair):
    a, _ = pair
    source = embedding(a)
    transform = rotated_reflected(seed=2)
    copy = Embedding(a.replace(id="A-copy"), source.split, source.values @ transform)
    found = align(source, copy, "published")
    np.testing.assert_allclose(found.apply(source.values), copy.values, atol=1e-10)
    assert "all trials" in found.note


def test_same_embedding_and_none_give_the_identity(pair):
    a, b = pair
    same = align(embedding(a), embedding(a), "train-procrustes")
    values = embedding(a).values
    assert same.is_identity and same.apply(values) is values
    assert align(embedding(a), embedding(b, dim=3, seed=5), "none").is_identity


def test_dimension_mismatch_is_explained(pair):
    a, b = pair
    with pytest.raises(NerBenchError, match="same dimension"):
        align(embedding(a, dim=3), embedding(b, dim=2), "train-procrustes")


def perturb_test_trials(source: Embedding, seed: int) -> Embedding:
    """The same embedding and recording, with the test trials' embedding rows and labels scrambled."""
    rec, rng = source.recording, np.random.default_rng(seed)
    test_bins = np.isin(rec.trial, source.split.test_trials)
    values = source.values.copy()
    values[test_bins] += rng.normal(0, 5, size=values[test_bins].shape)
    velocity, direction = rec.velocity.copy(), rec.direction.copy()
    velocity[test_bins] *= -7
    direction[test_bins] = (direction[test_bins] + 3) % 8
    changed = rec.replace(velocity=velocity, direction=direction, angle=direction * 45.0)
    return Embedding(changed, source.split, values)


def test_under_strict_no_test_trial_enters_an_alignment_or_a_decoder(pair):
    a, b = pair
    source, target = embedding(a), embedding(b, seed=3)
    source2, target2 = perturb_test_trials(source, 1), perturb_test_trials(target, 2)
    before, after = align(source, target, "train-procrustes"), align(source2, target2, "train-procrustes")
    np.testing.assert_array_equal(before.rotation, after.rotation)
    np.testing.assert_array_equal(before.source_offset, after.source_offset)
    np.testing.assert_array_equal(before.target_offset, after.target_offset)

    task = discover().get("tasks", "cross-session")()
    rows = task.evaluate(Unit(a, b), source, target, Context(STRICT, 0))
    rows2 = task.evaluate(Unit(a, b), source2, target2, Context(STRICT, 0))
    train = [(r["decoder"], r["target"], r["metric"], r.get("time_bin"), r["value"], r["note"])
             for r in rows if r["split"] == "train"]
    train2 = [(r["decoder"], r["target"], r["metric"], r.get("time_bin"), r["value"], r["note"])
              for r in rows2 if r["split"] == "train"]
    assert {t[0] for t in train} == set(DECODERS) - {"knn"}  # kNN across recordings scores B's test trials only
    assert train == train2  # every decoder was fitted on training trials only

    def knn_rows(source_embedding):  # the oracle rung sees every trial by design: left out
        rows = task.evaluate(Unit(a, b), source_embedding, target, Context(STRICT, 0))
        return [r for r in rows if r["decoder"] == "knn" and r.get("alignment_mode") != "oracle"]

    assert knn_rows(source) and knn_rows(source) == knn_rows(source2)  # k and neighbours from A's training trials
    assert [r["value"] for r in rows if r["split"] == "test"] != [r["value"] for r in rows2 if r["split"] == "test"]


def test_the_published_alignment_sees_test_trials(pair):
    a, b = pair
    source, target = embedding(a), embedding(b, seed=3)
    before = align(source, target, "published")
    after = align(perturb_test_trials(source, 1), perturb_test_trials(target, 2), "published")
    assert not np.allclose(before.rotation, after.rotation)
    assert "all trials of both sessions" in " ".join(PAPER.defects)


def rotation(dim=3, seed=3) -> np.ndarray:
    return special_ortho_group.rvs(dim, random_state=seed)  # det = +1


def per_direction_copy(source: Embedding, maps: dict[int, np.ndarray], scale: dict[int, float] | None = None):
    """B: A's recording renamed, each trial of direction d carried by ``maps[d]`` (and A scaled per direction
    by ``scale``, so that some directions weigh more in the L1 cost). Returns (A, B)."""
    rec, values = source.recording, source.values.astype(float).copy()
    for d, factor in (scale or {}).items():
        values[rec.direction == d] *= factor
    mapped = values.copy()
    for d, transform in maps.items():
        mapped[rec.direction == d] = values[rec.direction == d] @ transform
    return Embedding(rec, source.split, values), Embedding(rec.replace(id="B"), source.split, mapped)


def l1_cost(a: Embedding, maps: dict[int, np.ndarray], candidate: np.ndarray) -> float:
    target = a.values.copy()
    for d, transform in maps.items():
        target[a.recording.direction == d] = a.values[a.recording.direction == d] @ transform
    return float(np.abs(a.values @ candidate - target).sum())


def test_published_rule_keeps_the_class_with_the_smaller_l1_cost(pair):
    """Six directions of B are a reflection of A, two a rotation: with equal weights the reflection
    class is cheaper; when the two rotated directions dominate the embedding, the rotation wins (a cost,
    not a vote)."""
    a, _ = pair
    reflection, turn = rotated_reflected(seed=4), rotation(seed=5)
    maps = {d: (turn if d in (2, 5) else reflection) for d in range(8)}
    source, target = per_direction_copy(embedding(a), maps)
    found = align(source, target, "published")
    np.testing.assert_allclose(found.rotation, reflection, atol=1e-10)
    assert np.linalg.det(found.rotation) < 0
    costs = l1_cost(source, maps, reflection), l1_cost(source, maps, turn)
    assert costs[0] < costs[1]
    assert "reflection class won" in found.note
    assert f"reflection {costs[0]:.6g} vs rotation {costs[1]:.6g}" in found.note
    assert "float-noise" in found.note

    source, target = per_direction_copy(embedding(a), maps, scale={2: 30.0, 5: 30.0})
    found = align(source, target, "published")
    np.testing.assert_allclose(found.rotation, turn, atol=1e-10)
    assert l1_cost(source, maps, turn) < l1_cost(source, maps, reflection)
    assert "rotation class won" in found.note


def test_published_rule_with_an_empty_class(pair):
    a, _ = pair
    turn = rotation(seed=6)
    source, target = per_direction_copy(embedding(a), {d: turn for d in range(8)})
    found = align(source, target, "published")
    np.testing.assert_allclose(found.rotation, turn, atol=1e-10)
    assert "rotation class won" in found.note and "no reflection among the fits" in found.note


def test_published_rule_is_deterministic(pair):
    a, b = pair
    source, target = embedding(a), embedding(b, seed=3)
    first, second = align(source, target, "published"), align(source, target, "published")
    assert first.rotation.tobytes() == second.rotation.tobytes()
    assert first.note == second.note
    assert first.apply(source.values).tobytes() == second.apply(source.values).tobytes()
