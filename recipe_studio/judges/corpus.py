"""The shared corpus's stage recipes through both judges: attribution and the expected.json check.

Corpus location: ``$RECIPE_STUDIO_CORPUS``, else ``../shared/corpus`` beside the repository.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .runner import REPO_ROOT, Verdict, judge

CORPUS_ENV = "RECIPE_STUDIO_CORPUS"


def corpus_root() -> Path | None:
    """The corpus directory, or None when it is absent (a user's clone has no ../shared)."""
    root = Path(os.environ.get(CORPUS_ENV) or REPO_ROOT.parent / "shared" / "corpus")
    return root if (root / "expected.json").is_file() and (root / "staged").is_dir() else None


def staged_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "staged").iterdir() if p.is_file())


def expected_staged(root: Path) -> dict[str, dict]:
    """``expected.json``'s staged records by file name (``staged/<name>``)."""
    records = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    return {r["file"]: r for r in records if r.get("kind") == "staged"}


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def parse_of(verdict: Verdict) -> dict:
    """The SparseML judge's parse in ``expected.json``'s shape (see the corpus README)."""
    rec = verdict.record
    recipe = rec.get("recipe")
    if recipe is None:
        err = verdict.error or {}
        return {"parses": False,
                "error": {"type": err.get("type"), "message": _ADDRESS.sub("0x…", err.get("first_line", ""))}}
    out = {"parses": True, "version": recipe["version"], "has_metadata": recipe["has_metadata"],
           "recipe_args": recipe["recipe_args"], "stages": recipe["stages"]}
    if verdict.phase == "evaluate":
        err = verdict.error or {}
        out["evaluates"] = False
        out["evaluate_error"] = {"type": err.get("type"),
                                 "message": _ADDRESS.sub("0x…", err.get("first_line", ""))}
    else:
        out["evaluates"] = True
    return out


def compare_with_expected(expected: dict, verdict: Verdict) -> list[str]:
    """Differences between an ``expected.json`` staged record and the SparseML judge's parse."""
    got = parse_of(verdict)
    want = {k: v for k, v in expected.items() if k not in ("file", "kind")}
    diffs = []
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            diffs.append(f"{key}: expected {json.dumps(want.get(key))[:300]} "
                         f"got {json.dumps(got.get(key))[:300]}")
    return diffs


#: the library each corpus source writes its stage recipes for (docs/stage-recipes-judges.md)
TARGET_BY_SOURCE = {"llm-compressor": "llmcompressor", "sparseml": "sparseml", "mcx-sparseml": "sparseml"}


def intended_target(file: str) -> str:
    """``sparseml`` or ``llmcompressor``: the judge whose verdict a corpus stage recipe must get
    from ``validate`` (attribution by source repository, the file-name prefix)."""
    return TARGET_BY_SOURCE[file.split("/")[-1].split("__")[0]]


@dataclass
class Attribution:
    file: str
    sparseml: Verdict
    llmcompressor: Verdict

    @property
    def target(self) -> str:
        return intended_target(self.file)

    @property
    def target_verdict(self) -> Verdict:
        return self.sparseml if self.target == "sparseml" else self.llmcompressor

    @property
    def bucket(self) -> str:
        return {(True, True): "both", (True, False): "SparseML only",
                (False, True): "llm-compressor only", (False, False): "neither"}[
            (self.sparseml.ok, self.llmcompressor.ok)]


def attribute(root: Path, timeout: float = 120.0) -> list[Attribution]:
    files = staged_files(root)
    sml = judge("sparseml", files, timeout=timeout)
    llmc = judge("llmcompressor", files, timeout=timeout)
    return [Attribution(f"staged/{p.name}", s, l) for p, s, l in zip(files, sml, llmc)]


def reason(v: Verdict) -> str:
    """A short reason for a rejection: the unknown modifier, or the rejecting class and field."""
    if v.ok:
        return "loads"
    err = v.error or {}
    first = err.get("first_line", "")
    m = re.match(r"No modifier of type '(\w+)' found", first)
    if m:
        return f"unknown {m.group(1)}"
    if err.get("type") == "ValidationError" and err.get("errors"):
        title = re.sub(r"PyTorch$", "", err.get("title") or "?")
        e = err["errors"][0]
        loc = ".".join(str(x) for x in e.get("loc") or ())
        return f"{title}: {loc or '-'} {e.get('type')}"
    return f"{err.get('type')}: {first[:60]}"


BUCKETS = ("both", "SparseML only", "llm-compressor only", "neither")


def report(rows: list[Attribution]) -> str:
    """Markdown: the four buckets, the modifier types by bucket (recipes that use each type,
    from SparseML's parse of the file) and each library's rejection reasons by bucket."""
    buckets = Counter(r.bucket for r in rows)
    out = ["| verdict | recipes |", "| --- | ---: |"]
    for b in BUCKETS:
        out.append(f"| {b} | {buckets[b]} |")
    out.append(f"| **total** | **{len(rows)}** |")
    by_source = Counter((r.file.split("/")[-1].split("__")[0], r.bucket) for r in rows)
    out += ["", "| source (file-name prefix) | " + " | ".join(BUCKETS) + " |",
            "| --- |" + " ---: |" * len(BUCKETS)]
    for src in sorted({k for k, _ in by_source}):
        out.append(f"| {src} | " + " | ".join(str(by_source[(src, b)]) for b in BUCKETS) + " |")
    out += ["", "| intended target | recipes | its judge accepts | its judge rejects |",
            "| --- | ---: | ---: | ---: |"]
    for target in ("sparseml", "llmcompressor"):
        mine = [r for r in rows if r.target == target]
        ok = sum(r.target_verdict.ok for r in mine)
        out.append(f"| {target} | {len(mine)} | {ok} | {len(mine) - ok} |")
    uses: Counter = Counter()
    for r in rows:
        for t in set(r.sparseml.modifier_types()):
            uses[(t, r.bucket)] += 1
    types = sorted({t for t, _ in uses}, key=lambda t: (-sum(uses[(t, b)] for b in BUCKETS), t))
    out += ["", "| modifier type (recipes using it) | " + " | ".join(BUCKETS) + " |",
            "| --- |" + " ---: |" * len(BUCKETS)]
    for t in types:
        out.append(f"| {t} | " + " | ".join(str(uses[(t, b)]) for b in BUCKETS) + " |")
    for lib, title in (("sparseml", "SparseML 1.8 rejects"), ("llmcompressor", "llm-compressor 0.14 rejects")):
        reasons = Counter((r.bucket, reason(getattr(r, lib))) for r in rows if not getattr(r, lib).ok)
        out += ["", f"| bucket | {title} because | recipes |", "| --- | --- | ---: |"]
        for (bucket, why), n in sorted(reasons.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
            out.append(f"| {bucket} | {why} | {n} |")
    return "\n".join(out)
