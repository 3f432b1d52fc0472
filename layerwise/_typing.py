"""Type aliases shared by the package."""

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.floating[Any]]
"""A floating-point array, float32 or float64."""
