"""Points on the Earth: great-circle distance and unit vectors (used by the gazetteer and the
trainers)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def unit_vectors(lat: Any, lon: Any) -> np.ndarray:
    """Points on the unit sphere for latitudes and longitudes in degrees (arrays or scalars; x, y, z
    last).

    The chord between two such points orders them like the great-circle distance, so nearest-point
    search can use plain Euclidean k-d trees or inner products.
    """
    # here, not at the top: commands that only measure a distance do not load numpy
    import numpy as np

    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def chord_for_km(radius_km: float) -> float:
    """The chord length between unit vectors that are `radius_km` apart on the Earth's surface."""
    return 2 * math.sin(min(radius_km / EARTH_RADIUS_KM, math.pi) / 2)
