"""Guide tables: inverse-CDF draws equal to ``searchsorted(cdf, x, side="right")``, faster.

A binary search of thousands of random values costs a branch miss per step. A guide table jumps
straight to an entry at or below the answer; a few vector steps finish. The result is the same
index ``searchsorted`` gives, so the generator's output does not depend on which one is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ENTRIES_PER_GUIDE_SLOT = 8


def _step_up(cdf: FloatArray, x: FloatArray, found: IntArray) -> IntArray:
    """Advance each guess (at or below its answer) while ``cdf[found] <= x``."""
    pending = np.flatnonzero(cdf[found] <= x)
    while pending.size:
        found[pending] += 1
        pending = pending[cdf[found[pending]] <= x[pending]]
    return found


@dataclass(frozen=True)
class GuideTable:
    """``searchsorted(cdf, x, side="right")`` for a nondecreasing ``cdf`` and ``0 <= x``."""

    cdf: FloatArray  # the cdf with +inf appended (an answer past the end stops there)
    guide: IntArray  # guide[j] = searchsorted(cdf, j / scale, side="right")
    scale: float

    @classmethod
    def build(cls, cdf: FloatArray) -> GuideTable:
        slots = ENTRIES_PER_GUIDE_SLOT * cdf.size
        scale = slots / float(cdf[-1]) if cdf[-1] > 0 else 1.0
        guide = np.searchsorted(cdf, np.arange(slots + 1) / scale, side="right")
        return cls(np.append(cdf, np.inf), guide.astype(np.int64), scale)

    def search(self, x: FloatArray) -> IntArray:
        # Slot j - 1 starts at or below x even when x * scale rounds up to the next integer.
        slot = np.minimum((x * self.scale).astype(np.int64), self.guide.size - 1)
        found = self.guide[np.maximum(slot - 1, 0)]
        return _step_up(self.cdf, x, found)


@dataclass(frozen=True)
class RowGuideTable:
    """``searchsorted(cdf[row], u, side="right")`` for rows of a (rows, width) cdf ending at 1.0.

    ``u`` must lie in [0, 1) (a uniform draw): then no answer passes its row's last entry.
    """

    cdf: FloatArray  # the rows laid end to end
    guide: IntArray  # (rows * slots): flat index of the row's answer at u = j / slots
    width: int
    slots: int  # a power of two, so u * slots is exact and j / slots <= u

    @classmethod
    def build(cls, cdf: npt.NDArray[np.float64]) -> RowGuideTable:
        rows, width = cdf.shape
        slots = 1 << max(0, ENTRIES_PER_GUIDE_SLOT * width - 1).bit_length()
        starts = np.arange(slots) / slots
        guide = np.concatenate(
            [row * width + np.searchsorted(cdf[row], starts, side="right") for row in range(rows)]
        )
        return cls(np.ascontiguousarray(cdf).ravel(), guide.astype(np.int64), width, slots)

    def search(self, row: npt.NDArray[np.integer], u: FloatArray) -> IntArray:
        row = row.astype(np.int64)
        found = self.guide[row * self.slots + (u * self.slots).astype(np.int64)]
        return _step_up(self.cdf, u, found) - row * self.width
