"""Why pooling works, measured: max keeps a feature map's strongest responses where average blurs them, sum is
average × the window's area, and a one-pixel shift of the input moves the max-pooled map less than the map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.lesson import convolution

SHIFT_TOLERANCE = 0.1  # on a photo a cell "changed" when it moved by more than a tenth of the map's peak


@dataclass(frozen=True)
class PoolingComparison:
    """One feature map pooled max, average and sum with the same window, and the peak each pooled map keeps."""

    feature_map: np.ndarray
    pooled: dict[str, np.ndarray]  # mode -> pooled map
    size: int

    def peak(self, mode: str | None = None) -> float:
        """Return the largest value of a pooled map (of the feature map itself when `mode` is None)."""
        return float((self.feature_map if mode is None else self.pooled[mode]).max())

    def kept_share(self, mode: str) -> float:
        """Return a pooled map's peak as a share of the feature map's (max keeps 1; average less, unless flat)."""
        peak = self.peak()
        return self.peak(mode) / peak if peak > 0 else 1.0

    def describe(self) -> str:
        """Return the peaks compared in one Markdown paragraph, with the numbers."""
        number = convolution.format_number
        area = self.size * self.size
        return (
            f"The feature map's strongest response is **{number(round(self.peak(), 3))}**. Max pooling keeps it: "
            f"its peak is **{number(round(self.peak('max'), 3))}**. Average pooling mixes each strong cell with its "
            f"{area - 1} weaker neighbours: its peak is **{number(round(self.peak('average'), 3))}**, "
            f"**{self.kept_share('average'):.0%}** of it, and every edge comes out wider and fainter. That is why max "
            "usually does better: a filter's job is to say *an edge is here*, and the max keeps that signal whole. "
            f"Sum pooling is average × {area} (peak **{number(round(self.peak('sum'), 3))}**): the same blur, "
            "bigger numbers."
        )


def chosen_modes(picked: list[str] | None) -> list[str]:
    """Return the picked pooling modes in the lesson's order (max, average, sum); max when none is picked."""
    return [mode for mode in convolution.POOLING_MODES if mode in (picked or [])] or ["max"]


def compare_pooling(feature_map: np.ndarray, size: int, stride: int) -> PoolingComparison:
    """Return a feature map pooled max, average and sum with a `size`×`size` window moving by `stride`."""
    feature_map = convolution.check_grid(feature_map, "feature map")
    pooled = {mode: convolution.pool2d(feature_map, size, stride, mode) for mode in convolution.POOLING_MODES}
    return PoolingComparison(feature_map, pooled, size)


def shift_right(values: np.ndarray, pixels: int = 1) -> np.ndarray:
    """Return a grid or image moved `pixels` columns to the right, zeros coming in at the left."""
    values = np.asarray(values, dtype=float)
    if not 0 < pixels < values.shape[1]:
        raise CnnvizError(f"A shift must be between 1 and {values.shape[1] - 1} pixels; got {pixels}.")
    shifted = np.zeros_like(values)
    shifted[:, pixels:] = values[:, :-pixels]
    return shifted


@dataclass(frozen=True)
class ShiftComparison:
    """A feature map and its max-pooled map, before and after the input moved one pixel, and what changed."""

    feature_map: np.ndarray
    shifted_feature_map: np.ndarray
    pooled: np.ndarray
    shifted_pooled: np.ndarray
    tolerance: float  # a cell changed when it moved by more than this

    @property
    def feature_changed(self) -> np.ndarray:
        """Return True where the feature map's cell changed."""
        return np.abs(self.shifted_feature_map - self.feature_map) > self.tolerance

    @property
    def pooled_changed(self) -> np.ndarray:
        """Return True where the max-pooled map's cell changed."""
        return np.abs(self.shifted_pooled - self.pooled) > self.tolerance

    def changed_share(self, pooled: bool) -> float:
        """Return the share of cells that changed, in the max-pooled map or in the feature map."""
        return float(np.mean(self.pooled_changed if pooled else self.feature_changed))

    def mean_change(self, pooled: bool) -> float:
        """Return how far a cell moved on average, as a share of that map's mean response (0 when all zero)."""
        before, after = (self.pooled, self.shifted_pooled) if pooled else (self.feature_map, self.shifted_feature_map)
        scale = float(np.abs(before).mean())
        return float(np.abs(after - before).mean()) / scale if scale > 0 else 0.0

    def describe(self) -> str:
        """Return what the shift did to both maps, in one Markdown paragraph with the measured shares."""
        feature, pooled = self.changed_share(pooled=False), self.changed_share(pooled=True)
        where = "" if self.tolerance == 0 else " by more than a tenth of the peak"
        counts = (
            f"Moving the input one pixel to the right changed {int(self.feature_changed.sum())} of "
            f"{self.feature_map.size} feature-map cells (**{feature:.0%}**) and {int(self.pooled_changed.sum())} of "
            f"{self.pooled.size} max-pooled cells (**{pooled:.0%}**){where}."
        )
        verdict = "Fewer pooled cells change: a window's max stays put while its strongest cell stays inside it. On"
        if pooled >= feature:
            verdict = (
                "About as large a share: a window's max changes whenever its strongest cell leaves the window, which "
                "on a busy photo is often (a bigger pool absorbs more of the shift). Max pooling still moves less: on"
            )
        return (
            f"{counts} {verdict} average a cell moved by **{self.mean_change(pooled=False):.0%}** of the map's "
            f"mean response in the feature map, **{self.mean_change(pooled=True):.0%}** in the max-pooled map."
        )


def compare_shift(
    feature_map: np.ndarray, shifted_feature_map: np.ndarray, size: int, stride: int, tolerance: float = 0.0
) -> ShiftComparison:
    """Return both feature maps max-pooled, ready to compare cell by cell (`tolerance`: what counts as a change)."""
    pooled = convolution.pool2d(feature_map, size, stride, "max")
    shifted_pooled = convolution.pool2d(shifted_feature_map, size, stride, "max")
    return ShiftComparison(
        np.asarray(feature_map, dtype=float),
        np.asarray(shifted_feature_map, dtype=float),
        pooled,
        shifted_pooled,
        tolerance,
    )


def compare_grid_shift(grid: np.ndarray, size: int, stride: int) -> ShiftComparison:
    """Return a typed feature map and the same map one column to the right, max-pooled; any change counts."""
    grid = convolution.check_grid(grid, "feature map")
    return compare_shift(grid, shift_right(grid), size, stride)
