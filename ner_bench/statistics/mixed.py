"""A mixed model of a paired difference: the board's sensitivity check to the nesting of its units.

``d = mu + u_subject (+ u_source + u_target) + e``, each ``u`` a random intercept: per subject, and for a
pair task also per source recording (the model that was fitted: pairs sharing it are not independent) and
per target session, crossed. Fitted by REML with the fixed intercept ``mu`` profiled out: ``mu`` and its
standard error are statsmodels' ``MixedLM``'s (the tests check both), written here because statsmodels'
crossed fit takes ~80 ms a pair and the board has thousands of pairs. ``mu / se`` is referred to Student's t
with the independent units' degrees of freedom (test sessions - 1), not to the normal distribution as
statsmodels does: with 4 to 13 sessions, and a variance component estimated at zero, a Wald z gave p-values
of 1e-19 where the sessions' own paired test gave 0.003.

With the subject variance in the error of ``mu``, few subjects give wide intervals: this column says how
much of a board's separation rests on treating the sessions of a monkey as exchangeable.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import linalg, optimize, stats

#: largest variance ratio (component / residual) searched: past it the residual is negligible
MAX_RATIO = 1e4
#: starting variance ratios of the search (the best of the fits is kept)
STARTS = (0.5,)


def mixed_intercept_test(y: np.ndarray, *groupings: np.ndarray, df: int | None = None) -> dict:
    """REML fit of ``y = mu + sum of random intercepts (one per grouping) + e``; returns ``mixed_mean``
    (mu), ``mixed_se``, ``mixed_p`` (two-sided, Student's t with ``df`` degrees of freedom; the normal
    distribution, statsmodels' Wald z, when ``df`` is None) and ``mixed_components`` (the variance
    components kept: a grouping with one level, or one level per observation, is confounded and left out)."""
    y = np.asarray(y, dtype=float)
    designs = [d for d in (_indicators(g) for g in groupings) if 1 < d.shape[1] < len(y)]
    nan = dict(mixed_mean=float("nan"), mixed_se=float("nan"), mixed_p=float("nan"), mixed_components=len(designs))
    if len(y) < 3 or np.ptp(y) == 0:
        return nan
    ratios = _reml_ratios(y, designs)
    mu, variance_of_mu = _mean_and_variance(y, designs, ratios)
    se = float(np.sqrt(variance_of_mu))
    reference = stats.norm if df is None else stats.t(df)
    p = float(2 * reference.sf(abs(mu / se))) if se > 0 and (df is None or df >= 1) else nan["mixed_p"]
    return dict(mixed_mean=mu, mixed_se=se, mixed_p=p, mixed_components=len(designs))


def _indicators(labels: np.ndarray) -> np.ndarray:
    codes = np.unique(np.asarray(labels), return_inverse=True)[1]
    return np.eye(codes.max() + 1)[codes] if len(codes) else np.zeros((0, 0))


def _reml_ratios(y: np.ndarray, designs: list[np.ndarray]) -> np.ndarray:
    """The variance ratios that maximise the restricted likelihood (bounded SQP search with the analytic
    gradient, from each of ``STARTS``; SLSQP: a fifth of L-BFGS-B's time on these 1-3 dimensions)."""
    if not designs:
        return np.zeros(0)
    best = None
    for start in STARTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = optimize.minimize(_objective_and_gradient, np.full(len(designs), start), args=(y, designs),
                                      jac=True, method="SLSQP", bounds=[(0.0, MAX_RATIO)] * len(designs))
        if best is None or found.fun < best.fun:
            best = found
    return best.x


def _objective_and_gradient(ratios: np.ndarray, y: np.ndarray, designs: list[np.ndarray]) -> tuple[float, np.ndarray]:
    """-2 REML log-likelihood (up to a constant, mu and the residual variance profiled out) and its gradient
    in the ratios: with ``a = H^-1 r``, ``b = H^-1 1``, ``d/dg_k = -(n - 1) |Z_k' a|^2 / r'a
    + tr(H^-1 Z_k Z_k') - |Z_k' b|^2 / 1'b``."""
    n = len(y)
    fit = _generalised_least_squares(y, designs, ratios)
    quadratic = max(fit.quadratic, 1e-300)
    log_det = 2 * np.log(np.diag(fit.factor[0])).sum()
    value = (n - 1) * np.log(quadratic) + log_det + np.log(fit.information)
    gradient = np.empty(len(designs))
    for k, z in enumerate(designs):
        h_inv_z = linalg.cho_solve(fit.factor, z)
        gradient[k] = (-(n - 1) * np.sum((z.T @ fit.h_inv_residual) ** 2) / quadratic + np.sum(z * h_inv_z)
                       - np.sum((z.T @ fit.h_inv_one) ** 2) / fit.information)
    return float(value), gradient


class _Fit(NamedTuple):
    factor: tuple            # Cholesky factor of H = I + sum g_k Z_k Z_k'
    h_inv_one: np.ndarray    # H^-1 1
    h_inv_residual: np.ndarray  # H^-1 (y - mu)
    information: float       # 1' H^-1 1
    mu: float
    quadratic: float         # (y - mu)' H^-1 (y - mu)


def _generalised_least_squares(y: np.ndarray, designs: list[np.ndarray], ratios: np.ndarray) -> _Fit:
    """mu by generalised least squares at the given variance ratios, with what the likelihood needs."""
    n = len(y)
    h = np.eye(n)
    for ratio, z in zip(ratios, designs):
        h += ratio * (z @ z.T)
    factor = linalg.cho_factor(h, lower=True)
    h_inv_one, h_inv_y = linalg.cho_solve(factor, np.ones(n)), linalg.cho_solve(factor, y)
    information = float(h_inv_one.sum())
    mu = float(h_inv_y.sum() / information)
    h_inv_residual = h_inv_y - mu * h_inv_one
    return _Fit(factor, h_inv_one, h_inv_residual, information, mu, float((y - mu) @ h_inv_residual))


def _mean_and_variance(y: np.ndarray, designs: list[np.ndarray], ratios: np.ndarray) -> tuple[float, float]:
    """(mu, var(mu)) at the given variance ratios."""
    fit = _generalised_least_squares(y, designs, ratios)
    return fit.mu, fit.quadratic / (len(y) - 1) / fit.information
