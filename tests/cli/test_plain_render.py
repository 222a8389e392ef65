"""The text renderer without colour writes what rich writes, without importing rich.

`render.text.render` lays the lines out once and prints them either through rich (colour,
or text rich would rewrite) or directly; here both printers get the same random layouts
and must write the same bytes.
"""

from __future__ import annotations

import io
import random

import pytest

from recipe_studio.diagnostics import Diagnostic, Edit, Fix, Related, Severity, Span
from recipe_studio.render import text as T

ALPHABET = ("abc XYZ 0123 _-:.`'\"[]{}()<>|^~#%&*+=/\\ é ß 中文 한국 😀 ‍ ̈ \u00a0\u200b"
            "\x1b[31m \x00\x01\x7f\t\r\x07\x08\x0b\x0c\n   ")


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, n)))


def _diagnostic(rng: random.Random) -> Diagnostic:
    line = rng.randint(1, 6)
    span = Span(line, rng.randint(1, 9), line + rng.randint(0, 3), rng.randint(1, 12))
    fix = Fix(_text(rng, 20), (Edit(0, 1, "x"),), safe=rng.random() < 0.5) \
        if rng.random() < 0.4 else None
    related = tuple(Related(Span(1, 2, 1, 3), _text(rng, 15),
                            rng.choice([None, "other.yaml"])) for _ in range(rng.randint(0, 2)))
    return Diagnostic(code=rng.choice(["RS102", "RS001", "RS301"]), name="x",
                      severity=rng.choice(list(Severity)), message=_text(rng, 40), span=span,
                      path=rng.choice([None, "r.yaml", "dir/ü.yaml"]),
                      help=_text(rng, 20) if rng.random() < 0.5 else None, fix=fix,
                      related=related)


@pytest.mark.parametrize("seed", range(300))
def test_plain_printer_writes_what_rich_writes(seed: int) -> None:
    rng = random.Random(seed)
    source = [_text(rng, 30) for _ in range(10)]
    diagnostics = [_diagnostic(rng) for _ in range(rng.randint(0, 4))]

    def lines_of(path):
        return (lambda n: source[n - 1] if 1 <= n <= len(source) else "") \
            if rng.random() < 0.9 else None

    layout = T._layout(diagnostics, lines_of, summary=rng.random() < 0.8,
                       files_checked=rng.choice([None, 1, 3]))
    plain = layout if seed % 2 else [
        (base, [(t.translate({ord(c): None for c in T._RICH_REWRITES}), s) for t, s in parts])
        for base, parts in layout]  # half the layouts free of what rich rewrites
    via_rich, direct = io.StringIO(), io.StringIO()
    T._print_rich(plain, via_rich, color=False)
    if any(not T._RICH_REWRITES.isdisjoint(t) for _, parts in plain for t, _ in parts):
        return  # render() sends these through rich
    T._print_plain(plain, direct)
    assert direct.getvalue() == via_rich.getvalue()


def test_render_picks_the_printer(monkeypatch: pytest.MonkeyPatch) -> None:
    d = Diagnostic(code="RS102", name="x", severity=Severity.ERROR, message="a\tb",
                   span=Span(1, 1, 1, 2), path="r.yaml")
    used = []
    monkeypatch.setattr(T, "_print_rich", lambda *a: used.append("rich"))
    monkeypatch.setattr(T, "_print_plain", lambda *a: used.append("plain"))
    for color, message in [(False, "plain"), (False, "a\tb"), (True, "plain")]:
        T.render([Diagnostic(**{**d.__dict__, "message": message})], io.StringIO(),
                 lines_of=lambda p: None, color=color)
    assert used == ["plain", "rich", "rich"]
