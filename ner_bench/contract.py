"""The method contract check: what every Method must do, verified on a small synthetic recording.

``check_method(cls)`` mirrors how the runner uses a method (``prepare``, seed, ``fit`` on the training
trials, ``transform`` of every bin) and checks that the embedding is a (n_bins, dim) float array of
finite values, that the same seed gives the same embedding, that ``transform`` ignores behaviour
(blanking the recording's behaviour fields leaves the embedding unchanged) and how long a small fit takes.
The method runs under its ``quick`` budget with its ``check_params`` overrides, so that it stays fast.

>>> from ner_bench.contract import check_method, format_report
>>> from ner_bench.plugins import discover
>>> print(format_report("pca", check_method(discover().get("methods", "pca"))))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .embedding_output import dtype_problem, finite_problem, shape_problem
from .jobs import seed_everything
from .method import Method
from .recording import Recording
from .split import chronological_split

PASS, FAIL, EXEMPT = "pass", "fail", "exempt"
#: equal embeddings may differ by float reduction-order noise, nothing more
RTOL, ATOL = 1e-5, 1e-6


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, ``pass``/``fail``/``exempt``, and what was measured or what went wrong."""

    name: str
    status: str
    detail: str

    @property
    def passed(self) -> bool:
        return self.status != FAIL


def check_recording(n_trials: int = 32, trial_length: int = 40, n_neurons: int = 16, seed: int = 0) -> Recording:
    """A small center-out recording: 8 directions in turn, bell-shaped speed, smoothed Poisson counts of
    velocity-tuned neurons (non-negative, like spike counts), so that every kind of method can fit it."""
    rng = np.random.default_rng(seed)
    direction = np.arange(n_trials) % 8
    t = np.linspace(0.0, 1.2, trial_length)
    speed = 20.0 * np.exp(-0.5 * ((t - 0.5) / 0.13) ** 2)
    heading = np.deg2rad(direction * 45.0)[:, None] + rng.normal(0, 0.1, (n_trials, 1))
    velocity = np.stack([speed * np.cos(heading), speed * np.sin(heading)], axis=-1)  # (trials, time, 2)
    preferred = rng.uniform(0, 2 * np.pi, n_neurons)
    log_rate = (np.log(rng.uniform(5, 20, n_neurons))
                + 0.05 * (velocity[..., :1] * np.cos(preferred) + velocity[..., 1:] * np.sin(preferred)))
    counts = rng.poisson(np.exp(log_rate) * 0.03).astype(float)
    neural = gaussian_filter1d(counts, sigma=1.5, axis=1, mode="nearest").reshape(-1, n_neurons)
    return Recording.from_trials(id="contract-check", neural=neural.astype(np.float32),
                                 velocity=velocity.reshape(-1, 2), direction=np.repeat(direction, trial_length),
                                 trial_length=trial_length, dataset="contract-check", source="synthetic")


def check_method(cls: type[Method], *, params: dict[str, Any] | None = None, recording: Recording | None = None,
                 seed: int = 0, budget: str = "quick", time_limit: float | None = None) -> list[CheckResult]:
    """Run the contract checks on ``cls``; stops at the first check that leaves nothing to check further.

    ``params`` override the method's ``check_params``; ``time_limit`` (seconds) turns a slow fit into a
    failure (None: the fit time is reported only).
    """
    recording = recording or check_recording()
    train = chronological_split(recording).train(recording)
    results: list[CheckResult] = []
    given = {**cls.check_params, **(params or {})}

    method, error = _attempt(lambda: cls(budget=budget, **given))
    results.append(_outcome("construct", error, f"{method!r} (budget {budget})" if method else ""))
    if error:
        return results
    embedding, seconds, error = _fit_and_embed(method, train, recording, seed, results)
    if error:
        return results
    results.append(_fit_time(seconds, train, time_limit))
    results += _output_checks(embedding, recording)
    if not results[-1].passed or not results[-2].passed:
        return results
    results.append(_same_seed(cls, budget, given, train, recording, seed, embedding))
    results.append(_no_behaviour(cls, method, recording, embedding))
    return results


def all_passed(results: list[CheckResult]) -> bool:
    return all(result.passed for result in results)


def format_report(name: str, results: list[CheckResult], origin: str = "") -> str:
    """A human-readable report: one line per check, then a verdict."""
    width = max(len(result.name) for result in results)
    lines = [f"  {result.status.upper():<6}  {result.name:<{width}}  {result.detail}" for result in results]
    failed = [result.name for result in results if not result.passed]
    exempt = sum(result.status == EXEMPT for result in results)
    verdict = (f"{name}: FAILED {len(failed)} of {len(results)} checks ({', '.join(failed)})" if failed
               else f"{name}: passed {len(results) - exempt} checks" + (f", {exempt} exempt" if exempt else ""))
    header = f"contract check of method {name!r}" + (f" ({origin})" if origin else "")
    return "\n".join([header, *lines, verdict])


# ----------------------------------------------------------------------------- the checks
def _attempt(action: Callable[[], Any]) -> tuple[Any, str]:
    try:
        return action(), ""
    except Exception as error:  # the report says what failed; the check goes on for other methods
        where = traceback.extract_tb(error.__traceback__)[-1]
        return None, f"{type(error).__name__}: {error} (at {where.filename}:{where.lineno})"


def _outcome(name: str, error: str, detail: str) -> CheckResult:
    return CheckResult(name, FAIL, error) if error else CheckResult(name, PASS, detail)


def _fit_and_embed(method: Method, train: Recording, recording: Recording, seed: int,
                   results: list[CheckResult]) -> tuple[np.ndarray | None, float, str]:
    """prepare, seed, fit, transform, as the runner does; appends prepare/fit/transform failures."""
    started = time.perf_counter()
    _, error = _attempt(method.prepare)
    results.append(_outcome("prepare", error, f"{time.perf_counter() - started:.1f} s (kept out of fit time)"))
    if error:
        return None, 0.0, error
    seed_everything(seed)
    started = time.perf_counter()
    _, error = _attempt(lambda: method.fit_as_run(train, seed=seed, device="cpu"))
    seconds = time.perf_counter() - started
    if error:
        results.append(CheckResult("fit", FAIL, error))
        return None, seconds, error
    embedding, error = _attempt(lambda: np.asarray(method.transform(recording)))
    if error:
        results.append(CheckResult("transform", FAIL, error))
    return embedding, seconds, error


def _fit_time(seconds: float, train: Recording, limit: float | None) -> CheckResult:
    detail = f"{seconds:.2f} s on {train.n_bins} training bins x {train.n_neurons} neurons"
    if limit is None:
        return CheckResult("fit time", PASS, detail)
    status = PASS if seconds <= limit else FAIL
    return CheckResult("fit time", status, f"{detail} (limit {limit:g} s)")


def _output_checks(embedding: np.ndarray, recording: Recording) -> list[CheckResult]:
    """The run's own output check (``embedding_output``), reported as two lines."""
    problem = shape_problem(embedding, recording) or dtype_problem(embedding)
    shape = CheckResult("shape and dtype", FAIL if problem else PASS, problem or f"{embedding.shape} {embedding.dtype}")
    if problem:
        return [shape, CheckResult("finite values", FAIL, "not checked: the output is not a (n_bins, dim) real array")]
    with np.errstate(over="ignore", invalid="ignore"):
        problem = finite_problem(embedding.astype(np.float32), recording)
    return [shape, CheckResult("finite values", FAIL if problem else PASS, problem or "all finite as float32")]


def _same_seed(cls: type[Method], budget: str, given: dict, train: Recording, recording: Recording, seed: int,
               first: np.ndarray) -> CheckResult:
    """A fresh instance fitted with the same seed must give the same embedding."""
    def refit() -> np.ndarray:
        method = cls(budget=budget, **given)
        method.prepare()
        seed_everything(seed)
        method.fit_as_run(train, seed=seed, device="cpu")
        return np.asarray(method.transform(recording))

    second, error = _attempt(refit)
    if error:
        return CheckResult("same seed", FAIL, f"second fit failed: {error}")
    return _compare("same seed", first, second, f"a second fit with seed {seed} gives " + "{what}")


def _no_behaviour(cls: type[Method], method: Method, recording: Recording, first: np.ndarray) -> CheckResult:
    """``transform`` must read neural activity only: blank the behaviour fields, expect the same output."""
    if cls.uses_behavior_at_transform:
        return CheckResult("no behaviour at transform", EXEMPT, "declares uses_behavior_at_transform = True "
                           "(a control whose embedding is behaviour by design)")
    # a new id too: a method that memoised behaviour by recording id must not find it again
    stripped = recording.without_behavior().replace(id=f"{recording.id}-blanked")
    blanked, error = _attempt(lambda: np.asarray(method.transform(stripped)))
    if error:
        return CheckResult("no behaviour at transform", FAIL, f"transform of the blanked recording failed: {error}")
    return _compare("no behaviour at transform", first, blanked, "blanking velocity, position, direction and "
                    "angle gives {what}")


def _compare(name: str, expected: np.ndarray, actual: np.ndarray, template: str) -> CheckResult:
    if expected.shape != actual.shape:
        return CheckResult(name, FAIL, template.format(what=f"a different shape {actual.shape} vs {expected.shape}"))
    difference = float(np.max(np.abs(expected.astype(float) - actual.astype(float)), initial=0.0))
    if np.allclose(expected, actual, rtol=RTOL, atol=ATOL):
        return CheckResult(name, PASS, template.format(what=f"the same embedding (max |difference| {difference:.2g})"))
    return CheckResult(name, FAIL, template.format(what=f"a different embedding (max |difference| {difference:.3g})"))


# ----------------------------------------------------------------------------- in a process of its own
RESULTS_MARK = "ner-bench-check-results: "


def check_in_subprocess(name: str, *, params: dict[str, Any], plugins: list[str], seed: int, budget: str,
                        time_limit: float | None) -> list[CheckResult]:
    """``check_method`` in a fresh Python process, so that a method that ends its process (``os._exit``,
    a segfault) is reported as a failed check instead of taking the report with it."""
    request = json.dumps({"name": name, "params": params, "plugins": [str(Path(p).resolve()) for p in plugins],
                          "seed": seed, "budget": budget, "time_limit": time_limit}, default=str)
    done = subprocess.run([sys.executable, "-m", "ner_bench.contract", request], capture_output=True, text=True)
    sys.stderr.write(done.stderr)
    marked = [line[len(RESULTS_MARK):] for line in done.stdout.splitlines() if line.startswith(RESULTS_MARK)]
    if marked:
        return [CheckResult(**item) for item in json.loads(marked[-1])]
    tail = (done.stderr.strip().splitlines() or [""])[-1]
    return [CheckResult("process", FAIL, f"the method ended the check's process (exit code {done.returncode}) "
                                         f"before any report{': ' + tail if tail else ''}")]


def _main(request: str) -> None:
    from .plugins import discover

    given = json.loads(request)
    cls = discover(given["plugins"]).get("methods", given["name"])
    results = check_method(cls, params=given["params"], seed=given["seed"], budget=given["budget"],
                           time_limit=given["time_limit"])
    print(RESULTS_MARK + json.dumps([dataclasses.asdict(result) for result in results]), flush=True)


if __name__ == "__main__":
    _main(sys.argv[1])
