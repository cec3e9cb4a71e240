from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TENSION_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (training data, seed article): present for the team and CI, absent for users."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present (tests marked 'shared' need the team's data)")
    return SHARED


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return REPO / "tests" / "fixtures"
