"""Reference data the operator replaces: communities and their compounds (the whole register of
places and people, checked at start, is civic146.registry).

The bundled file is demo data: only some names come from the source bulletin, the rest are
invented and marked `"demo": true`. Point REFERENCE_DIR at a folder with the real file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

BUNDLED = Path(__file__).parent / "reference"
T = TypeVar("T")


def reference_path(name: str, reference_dir: str = "", bundled: Path = BUNDLED) -> Path:
    """One naming rule for all reference data: the operator's file in REFERENCE_DIR has the name
    of the bundled one, which lives in the `reference/` folder of the package that reads it."""
    return (Path(reference_dir) if reference_dir else bundled) / name


def load_json(name: str, reference_dir: str = "", bundled: Path = BUNDLED):
    """A reference file as data; a missing one stops the process with its path (at start: every
    loader is called by the app factory or the worker before anything is served)."""
    path = reference_path(name, reference_dir, bundled)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"reference data missing: {path}") from None


@dataclass(frozen=True)
class Community:
    id: str
    name_zh: str
    name_en: str
    compounds: dict[str, str]  # compound id -> Chinese name
    demo: bool


@lru_cache(maxsize=8)
def communities(reference_dir: str = "") -> dict[str, Community]:
    raw = load_json("communities.json", reference_dir)
    return {
        c["id"]: Community(
            id=c["id"],
            name_zh=c["name_zh"],
            name_en=c["name_en"],
            compounds={k["id"]: k["name_zh"] for k in c["compounds"]},
            demo=c.get("demo", False),
        )
        for c in raw["communities"]
    }


class InUse(Generic[T]):
    """Reference data a process loads once at start and validates payloads against (see
    civic146.payloads.Registered), so that the ids a payload may name and those its OpenAPI
    document lists come from the same files. `load` (cached) maps REFERENCE_DIR to the data; until
    the app factory calls `use`, the bundled files are used."""

    def __init__(self, load: Callable[[str], T]):
        self._load = load
        self._reference_dir = ""

    def use(self, reference_dir: str = "") -> T:
        """Load the data of `reference_dir` (failing at start if it is missing) and use it from now on."""
        data = self._load(reference_dir)
        self._reference_dir = reference_dir
        return data

    def __call__(self) -> T:
        return self._load(self._reference_dir)

    @property
    def reference_dir(self) -> str:
        return self._reference_dir


COMMUNITIES = InUse(communities)


@lru_cache(maxsize=8)
def _community_of_compound(reference_dir: str) -> dict[str, str]:
    return {k: c.id for c in communities(reference_dir).values() for k in c.compounds}


def community_of_compound() -> dict[str, str]:
    """compound id -> id of its community, in the register in use (built once per register: every
    payload with a compound asks)."""
    return _community_of_compound(COMMUNITIES.reference_dir)
