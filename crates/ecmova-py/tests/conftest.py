"""Shared fixtures of the Python suite: the repository's example files and the built CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


def cli_path() -> Path | None:
    """The `ecmova` binary to compare against: $ECMOVA_CLI, else target/release/ecmova."""
    env = os.environ.get("ECMOVA_CLI")
    if env:
        return Path(env)
    built = REPO / "target" / "release" / "ecmova"
    if built.exists():
        return built
    found = shutil.which("ecmova")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_path()
    if path is None or not path.exists():
        message = (
            "the ecmova CLI is not built: run `cargo build --release -p ecmova` "
            "or set ECMOVA_CLI"
        )
        # In CI the binary must be there (.ci/run builds it): never a silent skip.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES
