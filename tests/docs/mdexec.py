"""Executable Markdown: the fenced blocks of README.md and docs/*.md, their commands and
expected output, the comparison and the rewrite (`pytest tests/docs --update-docs`).

Page syntax (see docs/contributing.md):

* A ```` ```console ```` block holds `$ command` lines, each followed by its expected output
  (standard output and standard error, as a terminal shows them). A command line ending in
  `\\` continues on the next line.
* A line that is exactly `...` in the expected output stands for any number of lines
  (zero or more); everything else must match line for line (trailing spaces ignored).
* An HTML comment directly above a fence sets options for that block:
  `<!-- docs-test: vary=time,latency slow -->`. `vary=` names the machine-dependent figures
  of the block (the table `VARY` below): they are masked on both sides before comparing, and
  in such a block runs of spaces compare equal (columns shift when a figure's width does).
  `slow` marks a block with slow commands (training, benchmarks); `skip` leaves a block
  alone (say why in the page); `compile-only` (python blocks) checks syntax but does not run.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

#: machine-dependent figures a block may declare with `vary=`; nothing else is tolerated
VARY: dict[str, str] = {
    # the machine's description: CPU count and instruction set
    "machine": r"\(\d+ CPUs?[^)]*\)",
    # durations: `0.1s`, `31 s`, `12.5 ms`
    "time": r"\d+(?:\.\d+)?\s?(?:ms|s)\b",
    # which engine wins a latency comparison
    "faster": r"\b(?:slower|faster)\b",
    # training figures that move with the platform's float arithmetic: loss, accuracy, |Δ|
    "training": r"(?:loss|acc|accuracy|\|Δ\| vs torch)\s+\d+(?:\.\d+)?%?",
    # every number of the line: for latency and throughput tables
    "latency": r"\d[\d,]*(?:\.\d+)?",
}

OPTION_RE = re.compile(r"^<!--\s*docs-test:(.*?)-->\s*$")
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*(.*)$")


@dataclass
class Block:
    page: Path
    lang: str
    #: index (0-based) of the first content line and of the closing fence in the page
    start: int
    end: int
    lines: list[str]
    options: dict[str, str] = field(default_factory=dict)
    #: the opening fence (```` or ```)
    fence: str = "```"

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.start}"

    @property
    def vary(self) -> list[str]:
        names = [v for v in self.options.get("vary", "").split(",") if v]
        unknown = [v for v in names if v not in VARY]
        if unknown:
            raise ValueError(f"{self.where}: unknown vary={','.join(unknown)} "
                             f"(known: {', '.join(VARY)})")
        return names


@dataclass
class Example:
    block: Block
    command: str
    #: expected output lines, and their index range inside block.lines
    expected: list[str]
    first: int
    last: int


def parse_options(text: str) -> dict[str, str]:
    out = {}
    for item in text.split():
        key, _, value = item.partition("=")
        out[key] = value
    return out


def blocks(page: Path, text: str | None = None) -> list[Block]:
    lines = (page.read_text() if text is None else text).split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(2), m.group(3)
        options: dict[str, str] = {}
        j = i - 1
        while j >= 0 and OPTION_RE.match(lines[j]):
            options.update(parse_options(OPTION_RE.match(lines[j]).group(1)))
            j -= 1
        k = i + 1
        while k < len(lines) and not lines[k].strip().startswith(fence[0] * len(fence)):
            k += 1
        if k >= len(lines):
            raise ValueError(f"{page.name}:{i + 1}: unclosed code fence")
        out.append(Block(page, lang, i + 1, k, lines[i + 1:k], options, fence))
        i = k + 1
    return out


def examples(block: Block) -> list[Example]:
    """The `$ command` / output pairs of a console block."""
    out: list[Example] = []
    lines = block.lines
    i = 0
    if lines and not lines[0].startswith("$ "):
        raise ValueError(f"{block.where}: a console block starts with a `$ ` command line")
    while i < len(lines):
        command = lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1] + " " + lines[i].strip()
        i += 1
        first = i
        while i < len(lines) and not lines[i].startswith("$ "):
            i += 1
        last = i
        while last > first and not lines[last - 1].strip():
            last -= 1  # the blank line between two commands belongs to neither
        out.append(Example(block, command.strip(), lines[first:last], first, last))
    return out


def _normal(line: str, vary: list[str]) -> str:
    line = line.rstrip()
    for name in (n for n in VARY if n in vary):  # in the table's order
        line = re.sub(VARY[name], f"<{name}>", line)
    if vary:
        line = re.sub(r"\s+", " ", line)
    return line


def _segments(expected: list[str]) -> list[list[str]]:
    segs: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == "...":
            segs.append([])
        else:
            segs[-1].append(line)
    return segs


def _find(seg: list[str], actual: list[str], lo: int, hi: int) -> int | None:
    for p in range(lo, hi - len(seg) + 1):
        if actual[p:p + len(seg)] == seg:
            return p
    return None


def matches(expected: list[str], actual: list[str], vary: list[str]) -> bool:
    """Whether the actual lines match the page's lines (with `...` and the masks)."""
    exp = [_normal(x, vary) if x.strip() != "..." else "..." for x in expected]
    act = [_normal(x, vary) for x in actual]
    segs = _segments(exp)
    if len(segs) == 1:
        return exp == act
    head, *middle, tail = segs
    if act[:len(head)] != head or len(act) < len(head) + len(tail):
        return False
    end = len(act) - len(tail)
    if act[end:] != tail:
        return False
    pos = len(head)
    for seg in middle:
        found = _find(seg, act, pos, end)
        if found is None:
            return False
        pos = found + len(seg)
    return True


def refresh(expected: list[str], actual: list[str], vary: list[str]) -> list[str]:
    """New expected lines from a real run, keeping the page's `...` elisions: the same number
    of lines before the first and after the last `...`, and each middle excerpt where it
    (or the line closest to its first line) is now."""
    actual = [x.rstrip() for x in actual]
    if matches(expected, actual, vary):
        return expected
    segs = _segments(expected)
    if len(segs) == 1:
        return actual
    head, *middle, tail = segs
    if len(actual) <= len(head) + len(tail) + sum(len(s) for s in middle):
        return actual
    end = len(actual) - len(tail)
    out = actual[:len(head)]
    pos = len(head)
    for seg in middle:
        if not seg or pos >= end:
            continue
        norm = [_normal(x, vary) for x in actual]
        found = _find([_normal(x, vary) for x in seg], norm, pos, end)
        if found is None:
            ratios = [difflib.SequenceMatcher(None, seg[0], actual[p]).ratio()
                      for p in range(pos, end)]
            found = pos + max(range(len(ratios)), key=ratios.__getitem__)
        take = actual[found:min(found + len(seg), end)]
        out += ["..."] if found > pos else []
        out += take
        pos = found + len(take)
    if pos < end:
        out.append("...")
    out += actual[end:]
    return out


def diff(expected: list[str], actual: list[str]) -> str:
    return "\n".join(difflib.unified_diff(expected, actual, "page", "actual", lineterm=""))


def replace_lines(text: str, edits: list[tuple[int, int, list[str]]]) -> str:
    """Replace page line ranges [a, b) (0-based) with new lines; edits must not overlap."""
    lines = text.split("\n")
    for a, b, new in sorted(edits, reverse=True):
        lines[a:b] = new
    return "\n".join(lines)
