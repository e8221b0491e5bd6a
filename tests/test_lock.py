"""requirements.lock pins every declared dependency, within its declared range, with hashes."""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import dev


def _pins() -> dict[str, str]:
    return dev.locked_versions(dev.LOCK.read_text("utf-8"))


@pytest.mark.parametrize("line", dev.declared_requirements())
def test_every_declared_dependency_is_locked_within_its_range(line: str) -> None:
    requirement = Requirement(line)
    pinned = _pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, (
        f"{requirement.name} is not in requirements.lock: python3 dev.py lock"
    )
    assert requirement.specifier.contains(pinned, prereleases=True), (
        f"requirements.lock pins {requirement.name}=={pinned} outside {requirement.specifier}:"
        " python3 dev.py lock"
    )


def test_every_pin_carries_a_hash() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", dev.LOCK.read_text("utf-8"))
    pinned = [block for block in blocks if "==" in block.split("\n", 1)[0]]
    assert len(pinned) == len(_pins()) > 20
    assert all("--hash=sha256:" in block for block in pinned)


def test_a_dependency_added_without_relocking_is_caught() -> None:
    lock = dev.LOCK.read_text("utf-8")
    declared = dev.declared_requirements()
    assert dev.missing_from_lock(declared, lock) == []
    assert dev.missing_from_lock([*declared, "Leftpad_New>=1"], lock) == ["Leftpad_New>=1"]


def test_the_lock_parser_reads_names_as_pip_does() -> None:
    text = "Foo.Bar==1.0 \\\n    --hash=sha256:ab\npsycopg[binary]==3.2.1 \\\n"
    assert dev.locked_versions(text) == {"foo-bar": "1.0", "psycopg": "3.2.1"}
