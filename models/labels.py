"""The tension categories: the one place that holds the default list.

The shipped artifact stores its own category list (sidecar and model); code reads the categories from
the loaded model and never assumes there are exactly four.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

DEFAULT_CATEGORIES: tuple[str, ...] = (
    "dmz_incident",
    "weapons_transfer",
    "military_cooperation",
    "missile_nuclear",
)

#: Name used in reports for an item without any category.
BACKGROUND = "none"


def normalise_labels(labels: Iterable[str], categories: Sequence[str]) -> list[str]:
    """Keep the known categories of ``labels``, in category order, without duplicates."""
    wanted = set(labels)
    return [c for c in categories if c in wanted]
