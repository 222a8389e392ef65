"""`scale` over every loadable classic corpus recipe (../shared/corpus): the guarantees hold
on real recipes, at 0.5x and 1.7x their budget."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from recipe_studio.transform.edit import comment_texts
from recipe_studio.read.load import load
from recipe_studio.transform.scale import ScaleError, scale_file
from recipe_studio.read.source import from_text, read_source
from recipe_studio.schedule.timeline import timeline
from tests.conformance.corpus import CORPUS, classic
from tests.scale.checks import Plan, budget, field_problems, lint_worse

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

LOADABLE = [e for e in classic() if e["loads"]]


def reload(text: str, path: str):
    src = read_source(path)
    return load(from_text(text, path=src.path, form=src.form))  # BOM, CRLF: from_text


def test_every_loadable_recipe_scales():
    problems, scaled, one_shot = [], 0, 0
    for e in LOADABLE:
        path = str(CORPUS / e["file"])
        if e["max_epochs"] <= 0:
            with pytest.raises(ScaleError, match="no epoch budget"):
                scale_file(path, 10)
            one_shot += 1
            continue
        orig = load(path)
        old = budget(orig)
        assert scale_file(path, old).text == Path(path).read_bytes().decode("utf-8")
        for factor in (0.5, 1.7):
            epochs = factor * e["max_epochs"]
            result = scale_file(path, epochs)
            new = reload(result.text, path)
            scaled += 1
            errors = [d.code for d in new.errors if d.code not in {x.code for x in orig.errors}]
            found = field_problems(orig, new, Plan(old, epochs), result.notes)
            if errors or found:
                problems.append((e["file"], factor, errors, found[:2]))
            if timeline(new).max_epochs != math.ceil(epochs):
                problems.append((e["file"], factor, "max_epochs", timeline(new).max_epochs))
            if comment_texts(result.text) != comment_texts(read_source(path).text):
                problems.append((e["file"], factor, "comments"))
    assert scaled == 2 * (len(LOADABLE) - one_shot)
    assert not problems, problems[:5]


def test_scaling_lints_no_worse():
    # 0.5x and 2x are exact in binary; lint rules compare epochs without a tolerance, so a
    # factor such as 1.7 can flip `x > y` on float noise alone (see the report)
    worse = []
    for e in LOADABLE:
        if e["max_epochs"] <= 0:
            continue
        path = str(CORPUS / e["file"])
        orig = load(path)
        for factor in (0.5, 2.0):
            new = reload(scale_file(path, factor * e["max_epochs"]).text, path)
            found = lint_worse(orig, new, ratio=factor * e["max_epochs"] / budget(orig))
            if found:
                worse.append((e["file"], factor, found))
    assert not worse, worse[:5]
