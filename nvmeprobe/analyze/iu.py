"""Indirection unit (IU) and read-modify-write (RMW) amplification from a write sweep.

Input: the write rows of `randwrite` cells swept over IO size `bs` and
alignment `offset`, at one queue depth. Assumption (how plans lay cells out):
a cell's IOs start at offset + k*bs for uniformly random k (fio's `offset=`
with the default blockalign=bs), so modulo any candidate IU the starts fall
evenly on offset + multiples of gcd(bs, IU).

Two methods, cross-checked:

1. Rule (primary). Cost per byte = 1 / bw_bytes; factor = cost / baseline,
   baseline = median cost of the large aligned writes (bs >= 128 KiB) on their
   plateau. The knee is the smallest aligned size from which every larger
   aligned size is flat (factor <= 1 + tol). The knee is the IU when writes
   offset inside it pay: max over offsets of factor(knee, o) / factor(knee, 0)
   >= 1 + tol. A knee whose misaligned writes do not pay is per-IO overhead (an
   IOPS-bound device such as a loop device), not an IU.
2. Model fit (cross-check, confidence, tie-break). Time per IO (bs / bw) =
   c + a * IUs touched + b * partially covered IUs, non-negative least squares
   weighted by 1 / time (relative errors), for every candidate IU (powers of
   two from the LBA size, or the finest granularity measured, to 1 MiB),
   scored by the leave-one-out prediction error (PRESS) so that a candidate
   cannot win by fitting one point with its RMW term. Among candidates whose
   score is within 2x of the best, the smallest wins: a larger IU must
   explain the data clearly better. The robust spread of the best fit's
   relative residuals is the noise level sigma; tol = clip(4 sigma, 0.3, 0.6). The smallest real
   penalty at the knee is 2x (aligned writes of IU/2 pay at least IU/bs per
   byte; misaligned IU-sized writes touch two IUs), so tol <= 0.6 keeps it
   visible while 10% noise stays below 1.3.

Decision: the rule's IU unless the fit is decisive against it (the rule's
candidate leaves >= 4x the score of the fit's choice). With no penalty in
either method the IU is at most the LBA size: inferred = the LBA size, or the
finest granularity measured if that is larger or the LBA size is unknown (a
sweep that starts at 4 KiB cannot show a 512 B IU); never a false large IU.
Confidence = 1 - score(chosen) / score(best distinguishable other candidate),
in [0, 1], halved when the rule and the fit disagree; None without a fit
(fewer than 4 points).

Each `rmw_amplification` entry also carries `predicted_waf`: the media bytes
per host byte that write pattern costs at the inferred IU, the mean over its
starts of (roundup(off+len, IU) - rounddown(off, IU)) / len (docs/field-notes.md
section 8), for endurance by IO size and alignment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nvmeprobe.analyze._common import require_columns
from nvmeprobe.errors import InputError
from nvmeprobe.units import format_bytes
from nvmeprobe.unknown import jsonable

METHOD_VERSION = "iu-rule+fit/1"
BASELINE_MIN_BS = 128 * 1024
MAX_CANDIDATE = 1024 * 1024
TOL_FLOOR, TOL_CAP, TOL_SIGMAS = 0.3, 0.6, 4.0
OCCAM_RATIO = 2.0
DECISIVE_RATIO = 4.0
MIN_FIT_POINTS = 4
CELL_COLUMNS = ("rw", "direction", "bs", "offset", "iodepth", "numjobs", "bw_bytes")
POINT_COLUMNS = ("bs", "offset", "bw_bytes")


@dataclass(frozen=True)
class Fit:
    """One candidate IU's least-squares fit of time per IO; `score` is its PRESS."""

    iu: int
    score: float
    per_io_s: float
    per_iu_s: float
    per_partial_s: float
    sigma: float
    design: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict:
        """JSON-able summary (without the design matrix)."""
        return {
            "iu": self.iu,
            "press": self.score,
            "per_io_s": self.per_io_s,
            "per_iu_s": self.per_iu_s,
            "per_partial_s": self.per_partial_s,
        }


@dataclass(frozen=True)
class IUResult:
    """The `iu` finding of `analyze --json` with its evidence."""

    inferred_bytes: int | None
    reported_bytes: int | None
    agrees: bool | None
    confidence: float | None
    rmw_amplification: list[dict]  # {bs, offset, factor, predicted_waf at the inferred IU}
    warning: str | None
    evidence: dict
    method_version: str = METHOD_VERSION

    def to_dict(self) -> dict:
        """The contract keys plus `warning`, `evidence`, `method_version`."""
        return jsonable(
            {
                "inferred_bytes": self.inferred_bytes,
                "reported_bytes": self.reported_bytes,
                "agrees": self.agrees,
                "confidence": self.confidence,
                "rmw_amplification": self.rmw_amplification,
                "warning": self.warning,
                "evidence": self.evidence,
                "method_version": self.method_version,
            }
        )


def write_points(cells: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """(bs, offset, bw_bytes) medians of random-write rows at one (iodepth, numjobs).

    The configuration with the most distinct (bs, offset) points is used; ties
    go to the deepest queue (throughput at depth is the least overhead-bound).
    """
    require_columns(cells, CELL_COLUMNS, "cells")
    rows = cells[
        (cells["rw"] == "randwrite") & (cells["direction"] == "write") & (cells["bw_bytes"] > 0)
    ]
    rows = rows.dropna(subset=["bs", "offset", "iodepth", "numjobs"])  # unknown shape: no point
    if rows.empty:
        return pd.DataFrame(columns=list(POINT_COLUMNS)), {"iodepth": None, "numjobs": None}
    distinct = rows.drop_duplicates(["iodepth", "numjobs", "bs", "offset"])
    sizes = distinct.groupby(["iodepth", "numjobs"]).size().reset_index(name="n")
    sizes["depth"] = sizes["iodepth"] * sizes["numjobs"]
    best = sizes.sort_values(["n", "depth"], ascending=False).iloc[0]
    chosen = rows[(rows["iodepth"] == best["iodepth"]) & (rows["numjobs"] == best["numjobs"])]
    points = chosen.groupby(["bs", "offset"], as_index=False)["bw_bytes"].median()
    return points, {
        "iodepth": int(best["iodepth"]),
        "numjobs": int(best["numjobs"]),
        "cells": int(len(chosen)),
    }


def iu_load(bs: int, offset: int, iu: int) -> tuple[float, float]:
    """Mean (IUs touched, partially covered IUs) of writes of `bs` at offset + k*bs."""
    g = math.gcd(bs, iu)
    starts = (offset + g * np.arange(iu // g, dtype=np.int64)) % iu
    ends = starts + bs
    touched = -(-ends // iu)
    head = (starts != 0) | ((touched == 1) & (ends % iu != 0))
    tail = (touched > 1) & (ends % iu != 0)
    return float(touched.mean()), float(head.mean() + tail.mean())


def _nnls(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Non-negative least squares. scipy.optimize is imported here, not at the top: it is
    ~0.3 s of start-up that every `run` would pay, and most runs make no IU fit."""
    from scipy.optimize import nnls

    return nnls(matrix, target)[0]


def fit_iu(points: pd.DataFrame, iu: int) -> Fit:
    """Fit time per IO = c + a*touched + b*partial (all >= 0) for one candidate IU."""
    bs = points["bs"].to_numpy(dtype=np.int64)
    off = points["offset"].to_numpy(dtype=np.int64)
    time = bs / points["bw_bytes"].to_numpy(dtype=float)
    loads = np.array([iu_load(int(b), int(o), iu) for b, o in zip(bs, off)])
    design = np.column_stack([np.ones(len(bs)), loads])
    weighted = design / time[:, None]
    coef = _nnls(weighted, np.ones(len(bs)))
    residuals = weighted @ coef - 1.0
    sigma = 1.4826 * float(np.median(np.abs(residuals)))
    return Fit(
        iu,
        _press(weighted, coef, residuals),
        float(coef[0]),
        float(coef[1]),
        float(coef[2]),
        sigma,
        design,
    )


def _press(weighted: np.ndarray, coef: np.ndarray, residuals: np.ndarray) -> float:
    """Leave-one-out prediction error (PRESS) of the weighted fit.

    Closed form e_i / (1 - h_ii) on the active columns; points the fit pins
    alone (leverage ~1, e.g. the only write with a partial IU) are refitted
    without them, so a candidate cannot win by spending its RMW term on one point.
    """
    active = weighted[:, coef > 0]
    leverage = (
        np.einsum("ij,ji->i", active, np.linalg.pinv(active))
        if active.size
        else np.zeros(len(residuals))
    )
    loo = residuals / np.maximum(1.0 - leverage, 1e-12)
    for i in np.flatnonzero(leverage > 0.99):
        keep = np.arange(len(residuals)) != i
        refit = _nnls(weighted[keep], np.ones(int(keep.sum())))
        loo[i] = weighted[i] @ refit - 1.0
    return float(loo @ loo)


def infer_iu(
    points: pd.DataFrame,
    reported_iu: int | None = None,
    lba: int | None = None,
    config: dict | None = None,
) -> IUResult:
    """Infer the IU from (bs, offset, bw_bytes) write points; see the module docstring."""
    points = _checked_points(points, lba)
    evidence: dict = {"config": config or {}, "points": int(len(points))}
    aligned = points[points["offset"] % points["bs"] == 0]
    if aligned.empty:
        evidence["reason"] = "no aligned random-write points"
        return _result(None, reported_iu, None, [], evidence)
    baseline, baseline_sizes = baseline_cost(aligned)
    factors = points.assign(factor=(1.0 / points["bw_bytes"]) / baseline)
    amplification = [
        {"bs": int(r.bs), "offset": int(r.offset), "factor": float(r.factor)}
        for r in factors.sort_values(["bs", "offset"]).itertuples()
    ]
    evidence["baseline"] = {
        "cost_s_per_byte": baseline,
        "bw_bytes": 1.0 / baseline,
        "sizes": baseline_sizes,
    }

    floor = max(lba or 0, _finest_granularity(points))
    fits = _fit_all(points, floor)
    fit_choice = _occam(fits)
    sigma = fits[fit_choice].sigma if fit_choice is not None else None
    tol = TOL_FLOOR if sigma is None else min(TOL_CAP, max(TOL_FLOOR, TOL_SIGMAS * sigma))
    rule_iu, rule_evidence = _rule(factors, tol)
    if rule_iu is not None and rule_iu not in fits and len(points) >= MIN_FIT_POINTS:
        fits[rule_iu] = fit_iu(points, rule_iu)
    chosen, decided_by = _decide(rule_iu, fit_choice, fits, floor)
    confidence = _confidence(chosen, fits)
    if (
        confidence is not None
        and rule_iu is not None
        and fit_choice is not None
        and not _equivalent(fits, rule_iu, fit_choice)
    ):
        confidence *= 0.5
    for entry in amplification:
        entry["predicted_waf"] = (
            iu_load(int(entry["bs"]), int(entry["offset"]), chosen)[0] * chosen / entry["bs"]
        )
    evidence.update(
        {
            "noise_sigma": sigma,
            "tolerance": tol,
            "rule_iu": rule_iu,
            "rule": rule_evidence,
            "fit": [fits[k].to_dict() for k in sorted(fits, key=lambda k: fits[k].score)[:6]],
            "fit_iu": fit_choice,
            "decided_by": decided_by,
            "no_penalty": decided_by == "no-penalty",
            "floor_bytes": floor,
        }
    )
    return _result(chosen, reported_iu, confidence, amplification, evidence)


def analyze_iu(
    cells: pd.DataFrame, reported_iu: int | None = None, lba: int | None = None
) -> IUResult:
    """IU finding from a cells table (random-write rows at one queue depth)."""
    points, config = write_points(cells)
    if points.empty:
        return _result(
            None,
            reported_iu,
            None,
            [],
            {"config": config, "points": 0, "reason": "no random-write cells"},
        )
    return infer_iu(points, reported_iu, lba, config)


def _checked_points(points: pd.DataFrame, lba: int | None) -> pd.DataFrame:
    require_columns(points, POINT_COLUMNS, "IU points")
    points = points.loc[:, list(POINT_COLUMNS)].dropna()
    points = points[points["bw_bytes"] > 0].astype({"bs": "int64", "offset": "int64"})
    if (points["bs"] <= 0).any() or (points["offset"] < 0).any():
        raise InputError("IU points: bs must be > 0 and offset >= 0")
    if lba is not None:
        if lba <= 0:
            raise InputError(f"LBA size must be positive, got {lba}")
        if ((points["bs"] % lba) != 0).any() or ((points["offset"] % lba) != 0).any():
            raise InputError(f"IU points: bs and offset must be multiples of the LBA size {lba}")
    return points.groupby(["bs", "offset"], as_index=False)["bw_bytes"].median()


def baseline_cost(aligned: pd.DataFrame) -> tuple[float, list[int]]:
    """Median cost per byte of the large aligned sizes on their plateau."""
    large = aligned[aligned["bs"] >= BASELINE_MIN_BS]
    if large.empty:
        large = aligned[aligned["bs"] == aligned["bs"].max()]
    cost = 1.0 / large["bw_bytes"]
    plateau = large[cost <= cost.min() * (1 + TOL_FLOOR)]
    return float(np.median(1.0 / plateau["bw_bytes"])), sorted(int(b) for b in plateau["bs"])


def _finest_granularity(points: pd.DataFrame) -> int:
    """Largest power of two dividing every bs and offset (the LBA size when unknown)."""
    values = [int(v) for v in points["bs"]] + [int(v) for v in points["offset"] if v]
    return min(v & -v for v in values)


def _fit_all(points: pd.DataFrame, floor: int) -> dict[int, Fit]:
    if len(points) < MIN_FIT_POINTS:
        return {}
    top = max(MAX_CANDIDATE, int(points["bs"].max()))
    candidates = [floor << i for i in range(64) if floor << i <= top]
    return {iu: fit_iu(points, iu) for iu in candidates}


def _tiny(fits: dict[int, Fit]) -> float:
    return 1e-15 * (1 + len(next(iter(fits.values())).design))


def _occam(fits: dict[int, Fit]) -> int | None:
    """Smallest candidate whose residual is within OCCAM_RATIO of the best."""
    if not fits:
        return None
    best = min(f.score for f in fits.values())
    return min(iu for iu, f in fits.items() if f.score <= OCCAM_RATIO * best + _tiny(fits))


def _equivalent(fits: dict[int, Fit], a: int, b: int) -> bool:
    """Two candidates the data cannot tell apart (their design matrices span one space)."""
    if a == b:
        return True
    if a not in fits or b not in fits:
        return False
    da, db = fits[a].design, fits[b].design
    rank = np.linalg.matrix_rank
    return rank(np.hstack([da, db])) == rank(da) == rank(db)


def _rule(factors: pd.DataFrame, tol: float) -> tuple[int | None, dict]:
    """Smallest aligned size from which aligned writes are flat and misaligned ones pay."""
    is_aligned = factors["offset"] % factors["bs"] == 0
    aligned = factors[is_aligned].groupby("bs")["factor"].median().sort_index()
    flat = (aligned <= 1 + tol).to_numpy()
    evidence: dict = {"aligned_flat": {int(b): bool(f) for b, f in zip(aligned.index, flat)}}
    if not flat[-1]:
        evidence["reason"] = "largest aligned size is not on the baseline plateau"
        return None, evidence
    knee_at = len(flat) - int(np.argmin(flat[::-1])) if not flat.all() else 0
    knee = int(aligned.index[knee_at])
    evidence["knee_bs"] = knee
    misaligned = factors[~is_aligned & (factors["bs"] >= knee)]
    if misaligned.empty:
        evidence["reason"] = "no misaligned points at or above the knee"
        return None, evidence
    at = int(misaligned["bs"].min())
    worst = float(misaligned.loc[misaligned["bs"] == at, "factor"].max())
    ratio = worst / float(aligned.get(at, 1.0))
    pays = ratio >= 1 + tol
    evidence.update({"misaligned_bs": at, "misaligned_ratio": ratio, "misaligned_pays": pays})
    return (knee if pays else None), evidence


def _decide(
    rule_iu: int | None, fit_choice: int | None, fits: dict[int, Fit], floor: int
) -> tuple[int, str]:
    """(IU, what decided it): the rule unless the fit is decisive against it."""
    tiny = _tiny(fits) if fits else 0.0

    def decisive(against: int) -> bool:
        return (
            fit_choice is not None
            and against in fits
            and fits[against].score >= DECISIVE_RATIO * (fits[fit_choice].score + tiny)
        )

    fallback = rule_iu if rule_iu is not None else floor
    if fit_choice is None or _equivalent(fits, fallback, fit_choice):
        return fallback, ("rule" if rule_iu is not None else "no-penalty")
    if decisive(fallback):
        return fit_choice, "fit"
    return fallback, ("rule" if rule_iu is not None else "no-penalty")


def _confidence(chosen: int, fits: dict[int, Fit]) -> float | None:
    if chosen not in fits:
        return None
    others = [f.score for iu, f in fits.items() if not _equivalent(fits, iu, chosen)]
    if not others:
        return None
    tiny = _tiny(fits)
    return float(min(1.0, max(0.0, 1.0 - (fits[chosen].score + tiny) / (min(others) + tiny))))


def _result(
    inferred: int | None,
    reported: int | None,
    confidence: float | None,
    amplification: list[dict],
    evidence: dict,
) -> IUResult:
    agrees = None if inferred is None or reported is None else inferred == reported
    warning = None
    if agrees is False:
        warning = (
            f"IU MISMATCH: writes behave like a {format_bytes(inferred)} IU but the "
            f"drive reports {format_bytes(reported)}; align and size writes to the "
            f"measured IU"
        )
    return IUResult(inferred, reported, agrees, confidence, amplification, warning, evidence)
