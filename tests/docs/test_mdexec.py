"""The page machinery itself: blocks, elisions, masks, and the rewrite that keeps them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.mdexec import blocks, examples, matches, refresh, replace_lines

PAGE = """# title

<!-- docs-test: slow vary=time -->
```console
$ recipe-studio train x
epoch 1  0.1s
epoch 2  0.2s
done

$ recipe-studio bench y
ok
```

````console
$ recipe-studio rule RS1
```yaml
a: 1
```
````

```yaml
a: 1
```
"""


def test_blocks_options_and_long_fences():
    bl = blocks(Path("page.md"), PAGE)
    assert [b.lang for b in bl] == ["console", "console", "yaml"]
    assert bl[0].options == {"slow": "", "vary": "time"} and bl[0].vary == ["time"]
    assert bl[1].fence == "````" and bl[1].lines[-1] == "```"  # a ``` inside ```` is content
    ex = examples(bl[0])
    assert [e.command for e in ex] == ["recipe-studio train x", "recipe-studio bench y"]
    assert ex[0].expected == ["epoch 1  0.1s", "epoch 2  0.2s", "done"]  # blank line dropped
    assert ex[1].expected == ["ok"]


def test_unknown_vary_name_is_an_error():
    (b,) = blocks(Path("p.md"), "<!-- docs-test: vary=speed -->\n```console\n$ x\n```\n")
    with pytest.raises(ValueError, match="unknown vary=speed"):
        b.vary


def test_exact_match_and_a_changed_figure():
    assert matches(["a 1", "b  "], ["a 1", "b"], [])
    assert not matches(["a 1"], ["a 2"], [])
    assert not matches(["a 1"], ["a 1", "extra"], [])


def test_elisions():
    out = ["head", "x", "y", "middle", "z", "tail"]
    assert matches(["head", "...", "tail"], out, [])
    assert matches(["head", "...", "middle", "...", "tail"], out, [])
    assert matches(["head", "x", "y", "middle", "z", "tail", "..."], out, [])  # zero lines
    assert not matches(["head", "...", "nowhere", "...", "tail"], out, [])
    assert not matches(["head", "...", "other tail"], out, [])
    assert not matches(["head", "tail", "...", "tail"], ["head", "tail"], [])


def test_masks_only_cover_what_they_name():
    assert matches(["epoch 1  0.1s"], ["epoch 1  12.5s"], ["time"])
    assert not matches(["epoch 1  0.1s"], ["epoch 2  12.5s"], ["time"])  # not a time
    assert not matches(["epoch 1  0.1s"], ["epoch 1  12.5s"], [])
    assert matches(["onnxruntime  1  0.027  36,975"], ["onnxruntime  1  0.1234  9,001"],
                   ["latency"])
    assert matches(["DeepSparse is 1.48x slower"], ["DeepSparse is 4.20x faster"],
                   ["latency", "faster"])
    assert not matches(["DeepSparse is 1.48x slower"], ["DeepSparse is 4.20x faster"],
                       ["latency"])


def test_refresh_keeps_elisions_and_unchanged_blocks():
    page = ["head 1", "...", "tail 1"]
    assert refresh(page, ["head 1", "a", "b", "tail 1"], []) == page
    assert refresh(page, ["head 2", "a", "b", "tail 2"], []) == ["head 2", "...", "tail 2"]
    mid = ["h", "...", "m1", "...", "t"]
    assert refresh(mid, ["h", "a", "m2", "b", "t"], []) == ["h", "...", "m2", "...", "t"]
    assert refresh(["x 0.1s"], ["x 9.9s"], ["time"]) == ["x 0.1s"]  # still matches: kept
    assert refresh(["a"], ["b", "c"], []) == ["b", "c"]
    assert refresh(page, ["short"], []) == ["short"]  # too short to elide


def test_replace_lines():
    assert replace_lines("a\nb\nc\nd", [(1, 2, ["B", "B2"]), (3, 4, [])]) == "a\nB\nB2\nc"
