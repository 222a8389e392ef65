"""Finding recipe files: explicit paths as given, directories searched recursively."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

RECIPE_SUFFIXES = (".yaml", ".yml", ".md")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
             ".mypy_cache", ".pytest_cache", ".tox", ".ruff_cache", "build", "dist"}
# what the corpus collection used to tell a recipe from other YAML/Markdown
_LOOKS_LIKE_RECIPE = re.compile(rb"!\w*Modifier|^\s*\w*Modifier:|Modifier: \{", re.M)


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    #: paths that do not exist or cannot be listed, with the reason
    missing: list[tuple[str, str]] = field(default_factory=list)
    #: directories in which no recipe was found
    empty_dirs: list[str] = field(default_factory=list)


def looks_like_recipe(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(256 * 1024)
    except OSError:
        return False
    return bool(_LOOKS_LIKE_RECIPE.search(head))


def discover(paths: Iterable[str | os.PathLike[str]]) -> Discovery:
    """Expand paths. Files are taken as given; directories contribute the `.yaml`, `.yml`
    and `.md` files under them that mention a modifier (READMEs and CI configs are skipped)."""
    out = Discovery()
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            try:
                for root, dirs, files in os.walk(p, onerror=_raise):
                    dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                    for name in sorted(files):
                        if name.lower().endswith(RECIPE_SUFFIXES):
                            f = Path(root) / name
                            if looks_like_recipe(f):
                                found.append(str(f))
            except OSError as e:
                out.missing.append((str(raw), f"cannot list directory: {e.strerror or e}"))
                continue
            if not found:
                out.empty_dirs.append(str(raw))
            for f in found:
                if f not in seen:
                    seen.add(f)
                    out.files.append(f)
        elif p.exists() or p.is_symlink():
            if str(raw) not in seen:
                seen.add(str(raw))
                out.files.append(str(raw))
        else:
            out.missing.append((str(raw), "no such file or directory"))
    return out


def _raise(e: OSError) -> None:
    raise e
