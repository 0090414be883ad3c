"""Reference data the operator replaces: communities and their compounds.

The bundled file is demo data: only some names come from the source bulletin, the rest are
invented and marked `"demo": true`. Point REFERENCE_DIR at a folder with the real file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BUNDLED = Path(__file__).parent / "reference"


def reference_path(name: str, reference_dir: str = "") -> Path:
    folder = Path(reference_dir) if reference_dir else BUNDLED
    return folder / name


def load_json(name: str, reference_dir: str = ""):
    path = reference_path(name, reference_dir)
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
