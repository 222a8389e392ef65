"""The generated schema in the real yaml-language-server (npm, pinned), driven over stdio.

The server is installed once into `.cache/yaml-language-server/` (git-ignored) from the
lock file in `tests/editors/yls/`; CI needs node 20 + npm and the npm registry.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from editors.helpers import (
    ROOT, SCHEMA, diagnostics_for, install_yaml_language_server, line_of, open_document, show,
    yls_client, yls_settings,
)
from recipe_studio.read.load import load

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

from tests.conftest import CORPUS  # noqa: E402  ($RECIPE_STUDIO_CORPUS)

RECIPE = """\
version: 1.1.0

# General variables
num_epochs: &num_epochs 10.0
init_lr: 0.005
pruning_start: &pruning_start 1.0
pruning_end: &pruning_end 8.0

training_modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: *num_epochs

  - !LearningRateFunctionModifier
    start_epoch: 0.0
    end_epoch: eval(num_epochs)
    lr_func: cosine
    init_lr: eval(init_lr)
    final_lr: 0.0

pruning_modifiers:
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.85
    start_epoch: *pruning_start
    end_epoch: *pruning_end
    update_frequency: 0.5
    inter_func: cubic

quantization_modifiers:
  - !QuantizationModifier
    start_epoch: 8.0
    submodules: [model]
    quantize_linear_activations: 0
"""

GLOB = ["recipes/**/*.yaml"]


@pytest.fixture(scope="module")
def yls() -> list[str]:
    return install_yaml_language_server()


def schemas_setting() -> dict[str, list[str]]:
    return {str(SCHEMA): GLOB}


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def test_valid_recipe_has_no_diagnostics(yls, tmp_path):
    assert load(RECIPE).ok  # the fixture itself is a good recipe
    path = write(tmp_path, "recipes/good.yaml", RECIPE)
    async with yls_client(yls, tmp_path, yls_settings(schemas_setting())) as client:
        uri = open_document(client, path)
        diags = await diagnostics_for(client, uri, settle=1.0)
    assert diags == [], show(diags)


CASES = [
    # (replace, with, line that must carry the diagnostic, message fragment)
    ("final_sparsity: 0.85", "final_sparsty: 0.85", "final_sparsty",
     "Property final_sparsty is not allowed."),
    ("final_sparsity: 0.85", "final_sparsity: high", "final_sparsity: high",
     "Incorrect type."),
    ("final_sparsity: 0.85", "final_sparsity: 1.5", "final_sparsity: 1.5",
     "above the exclusive maximum of 1"),
    ("inter_func: cubic", "inter_func: cubc", "inter_func: cubc",
     'Valid values: "linear", "cubic", "inverse_cubic"'),
    ("lr_func: cosine", "lr_func: 2", "lr_func: 2", "Valid values"),
    ("params: __ALL_PRUNABLE__", "params: __ALL_PRUNABL__", "params: __ALL_PRUNABL__",
     '"__ALL_PRUNABLE__", "__ALL__"'),
    ("    start_epoch: 0.0\n    end_epoch: *num_epochs",
     "    start_epoch: -3.0\n    end_epoch: *num_epochs", "start_epoch: -3.0",
     "below the minimum of -1"),
    ("start_epoch: 8.0", "start_epoch: 8.0\n    end_epoch: 9.0", "end_epoch: 9.0",
     "Value must be -1"),
    ("init_lr: eval(init_lr)", "init_lr: 1.5", "init_lr: 1.5", "above the maximum of 1"),
    ("pruning_modifiers:", "pruning_modifier:", "params: __ALL_PRUNABLE__",
     "modifier lists must be under a key containing `modifiers`"),
]


@pytest.mark.parametrize("old,new,where,message", CASES,
                         ids=["typo", "type", "range", "enum", "enum-type", "token",
                              "min-epoch", "quantization-end", "lr-range", "misplaced-list"])
async def test_errors_are_reported_on_their_line(yls, tmp_path, old, new, where, message):
    text = RECIPE.replace(old, new)
    assert text != RECIPE
    assert not load(text).ok  # recipe-studio agrees that it is broken
    path = write(tmp_path, "recipes/bad.yaml", text)
    async with yls_client(yls, tmp_path, yls_settings(schemas_setting())) as client:
        uri = open_document(client, path)
        diags = await diagnostics_for(client, uri, want=1)
    line = line_of(text, where)
    hits = [d for d in diags if d.range.start.line == line and message in d.message]
    assert hits, show(diags)
    # the source names the schemas that matched best: modifiers (or the recipe itself)
    from recipe_studio.models.schema import build_schema

    titles = {d.get("title") for d in build_schema()["definitions"].values()} - {None}
    titles.add(build_schema()["title"])
    for d in hits:
        assert d.source and d.source.startswith("yaml-schema: ")
        assert set(d.source[len("yaml-schema: "):].split(" | ")) <= titles, d.source


async def test_misspelt_tag_is_an_unresolved_tag(yls, tmp_path):
    text = RECIPE.replace("!GlobalMagnitudePruningModifier", "!GlobalMagnitudePrunningModifier")
    path = write(tmp_path, "recipes/tag.yaml", text)
    async with yls_client(yls, tmp_path, yls_settings(schemas_setting())) as client:
        uri = open_document(client, path)
        diags = await diagnostics_for(client, uri, want=1)
    line = line_of(text, "!GlobalMagnitudePrunningModifier")
    assert [d.message for d in diags if d.range.start.line == line] == [
        "Unresolved tag: !GlobalMagnitudePrunningModifier"], show(diags)
    # every other tag (including the `!pytorch.` spelling) is known
    assert all("Unresolved tag" not in d.message or d.range.start.line == line for d in diags)


async def test_modeline_selects_the_schema(yls, tmp_path):
    """`# yaml-language-server: $schema=<path relative to the file>` without any
    `yaml.schemas` setting; a sibling file without the modeline is not checked."""
    bad = RECIPE.replace("final_sparsity: 0.85", "final_sparsity: 1.5")
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    rel = os.path.relpath(SCHEMA, folder)
    with_modeline = write(tmp_path, "elsewhere/with.yaml",
                          f"# yaml-language-server: $schema={rel}\n" + bad)
    without = write(tmp_path, "elsewhere/without.yaml", bad)
    async with yls_client(yls, tmp_path, yls_settings(None)) as client:
        uri_with = open_document(client, with_modeline)
        uri_without = open_document(client, without)
        diags = await diagnostics_for(client, uri_with, want=1)
        plain = await diagnostics_for(client, uri_without)
    line = line_of(with_modeline.read_text(), "final_sparsity: 1.5")
    assert [d.range.start.line for d in diags if "exclusive maximum" in d.message] == [line], \
        show(diags)
    assert plain == [], show(plain)


def _loadable_recipes() -> list[Path]:
    """Every `.yaml` recipe of the corpus and examples that SparseML (and recipe-studio)
    loads without an error."""
    paths = sorted((CORPUS / "classic").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
    return [p for p in paths if load(p).ok]


@pytest.mark.corpus
async def test_every_loadable_recipe_is_clean(yls, tmp_path):
    """No false positives: the real corpus recipes SparseML loads get no schema error."""
    recipes = _loadable_recipes()
    assert len(recipes) > 150
    folder = tmp_path / "recipes"
    folder.mkdir()
    async with yls_client(yls, tmp_path, yls_settings(schemas_setting())) as client:
        uris = {}
        for i, src in enumerate(recipes):
            dst = folder / f"{i:03d}.yaml"
            dst.write_bytes(src.read_bytes())
            uris[open_document(client, dst)] = src.name
        problems = {}
        for uri, name in uris.items():
            diags = await diagnostics_for(client, uri, settle=0)
            # schema and tag errors only: YLS's own YAML checks (e.g. duplicate keys with
            # equal values, which SparseML accepts) are not the schema's business
            errors = [d for d in diags if d.severity == 1 and (
                (d.source or "").startswith("yaml-schema") or "Unresolved tag" in d.message)]
            if errors:
                problems[name] = show(errors)
    assert problems == {}


STAGED = """\
quant_stage:
  quant_modifiers:
    SmoothQuantModifier:
      smoothing_strength: 0.8
      mappings:
        - [["re:.*q_proj", "re:.*k_proj", "re:.*v_proj"], "re:.*input_layernorm"]
    GPTQModifier:
      ignore: [lm_head]
      scheme: W4A16
      targets: [Linear]
"""


#: the longest a stage recipe may take to get its diagnostics (0.1-0.5 s measured, schema
#: and server start included; a schema whose alternatives blow up yaml-language-server's
#: best-match search would take far longer)
ANSWER_BOUND = 20.0


@pytest.mark.parametrize("old,new,where,message", [
    (None, None, None, None),
    ("GPTQModifier:", "GPTQModifer:", "GPTQModifer:", "Property GPTQModifer is not allowed."),
    ("smoothing_strength: 0.8", "smoothing_strength: strong", "smoothing_strength: strong",
     "Incorrect type."),
    # no preset of either library: llm-compressor refuses it when it loads the recipe,
    # SparseML 1.8's GPTQ when it builds its quantization (the schema once let it through
    # SparseML's branch: the server answered at once, with nothing)
    ("scheme: W4A16", "scheme: W4A61", "scheme: W4A61", "Value is not accepted."),
], ids=["clean", "modifier-name", "type", "misspelt-preset"])
async def test_stage_recipes(yls, tmp_path, old, new, where, message):
    """Stage recipes in the same schema: a good one is clean, field errors on their line."""
    text = STAGED if old is None else STAGED.replace(old, new)
    assert load(text, target="llmcompressor").ok == (old is None)
    path = write(tmp_path, "recipes/staged.yaml", text)
    async with yls_client(yls, tmp_path, yls_settings(schemas_setting())) as client:
        uri = open_document(client, path)
        diags = await diagnostics_for(client, uri, want=0 if old is None else 1,
                                      settle=1.0 if old is None else 0, timeout=ANSWER_BOUND)
    if old is None:
        assert diags == [], show(diags)
        return
    line = line_of(text, where)
    assert [d for d in diags if d.range.start.line == line and message in d.message], show(diags)


QUANT_GROUPS = """\
quant_stage:
  quant_modifiers:
    QuantizationModifier:
      ignore: [lm_head]
      config_groups:
        group_0:
          targets: [Linear]
          weights: {num_bits: 8, type: int, symmetric: true, strategy: channel}
          input_activations: {num_bits: 8, type: int, dynamic: true, strategy: token}
"""

SPARSE = """\
sparsity_stage:
  run_type: oneshot
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      mask_structure: "2:4"
"""

ALL = (None, "sparseml", "llmcompressor")

#: id → (the schemas that flag it (None: the default one), recipe, [(line containing, message)])
INVALID_STAGE_RECIPES: dict[str, tuple[tuple[str | None, ...], str, list[tuple[str, str]]]] = {
    "preset": (ALL, STAGED.replace("scheme: W4A16", "scheme: W4A61"),
               [("scheme: W4A61", "Value is not accepted.")]),
    "preset-any-case": (ALL, STAGED.replace("scheme: W4A16", "scheme: w4a61"),
                        [("scheme: w4a61", "Value is not accepted.")]),
    # SparseML 1.8's QuantizationModifier has no `scheme` (dropped): llm-compressor's only
    "preset-mapping": (("llmcompressor",), QUANT_GROUPS.replace(
        "      config_groups:\n", "      scheme:\n        W4A61: [Linear]\n      config_groups:\n"),
        [("W4A61: [Linear]", "String does not match the pattern")]),
    "config-groups-enum": (ALL, QUANT_GROUPS.replace("strategy: channel", "strategy: chanel"),
                           [("strategy: chanel", "Value is not accepted.")]),
    "config-groups-type": (ALL, QUANT_GROUPS.replace("num_bits: 8, type: int, symmetric",
                                                     "num_bits: eight, type: int, symmetric"),
                           [("num_bits: eight", "Incorrect type.")]),
    # SparseML 1.8's QuantizationArgs drop an unknown field: llm-compressor's refuse it
    "config-groups-field": (("llmcompressor",), QUANT_GROUPS.replace("type: int, symmetric",
                                                                     "tpye: int, symmetric"),
                            [("tpye: int", "Property tpye is not allowed.")]),
    # SparseML 1.8's GPTQModifier has no `kv_cache_scheme` (dropped)
    "kv-cache-enum": (("llmcompressor",), STAGED.replace(
        "      targets: [Linear]\n", "      targets: [Linear]\n      kv_cache_scheme: "
        "{num_bits: 8, type: flot, strategy: tensor}\n"),
        [("type: flot", "Value is not accepted.")]),
    "unknown-modifier": (ALL, STAGED.replace("GPTQModifier:", "GPTQModifer:"),
                         [("GPTQModifer:", "Property GPTQModifer is not allowed.")]),
    "unknown-modifier-alone": (ALL, SPARSE.replace("SparseGPTModifier:", "SparseGPTModifer:"),
                               [("SparseGPTModifer:",
                                 "Property SparseGPTModifer is not allowed.")]),
    "types": (ALL, STAGED.replace("ignore: [lm_head]", "ignore: lm_head").replace(
        "      targets: [Linear]\n", "      targets: [Linear]\n      block_size: many\n"),
        [("ignore: lm_head", "Incorrect type."), ("block_size: many", "Incorrect type.")]),
    "sparsity-type": (ALL, SPARSE.replace("sparsity: 0.5", "sparsity: lots"),
                      [("sparsity: lots", "Incorrect type.")]),
    # llm-compressor 0.14 does not read `run_type` (any value): its schema and the default
    # one leave it open (tests/stage/test_schema_differential.py)
    "run-type": (("sparseml",), SPARSE.replace("run_type: oneshot", "run_type: once"),
                 [("run_type: once", "Value is not accepted.")]),
    # several of the mistakes above at once, in two stages
    "many": (ALL, STAGED.replace("scheme: W4A16", "scheme: W4A61").replace(
        "smoothing_strength: 0.8", "smoothing_strength: strong").replace(
        "      targets: [Linear]\n", "      targets: [Linear]\n      block_size: many\n")
        + SPARSE.replace("sparsity: 0.5", "sparsity: lots").replace(
            "run_type: oneshot", "run_type: once").replace("SparseGPTModifier:",
                                                           "SparseGPTModifer:"),
        [("scheme: W4A61", "Value is not accepted."),
         ("smoothing_strength: strong", "Incorrect type."),
         ("block_size: many", "Incorrect type."),
         ("SparseGPTModifer:", "Property SparseGPTModifer is not allowed.")]),
}


@pytest.mark.parametrize("target", ALL, ids=["default", "sparseml", "llmcompressor"])
async def test_invalid_stage_recipes_are_answered_within_a_bound(yls, tmp_path, target):
    """The guard against a schema that makes yaml-language-server slow (or silent): every
    invalid stage recipe gets its diagnostics within ANSWER_BOUND seconds, with each schema,
    and each schema that should flag a mistake flags it on its line."""
    import time

    from recipe_studio.models.schema import render_schema

    schema = tmp_path / "schema.json"
    schema.write_text(render_schema(target))
    async with yls_client(yls, tmp_path, yls_settings({str(schema): GLOB})) as client:
        problems, times = {}, {}
        for i, (name, (flagged_by, text, expected)) in enumerate(INVALID_STAGE_RECIPES.items()):
            if target not in flagged_by:
                expected = []  # still answered within the bound
            path = write(tmp_path, f"recipes/{i:02d}.yaml", text)
            start = time.monotonic()
            diags = await diagnostics_for(client, open_document(client, path),
                                          timeout=ANSWER_BOUND, want=len(expected), settle=0)
            times[name] = time.monotonic() - start
            missing = [(where, message) for where, message in expected
                       if not [d for d in diags if d.range.start.line == line_of(text, where)
                               and message in d.message]]
            if missing:
                problems[name] = (missing, show(diags))
    assert problems == {}
    assert max(times.values()) < ANSWER_BOUND, times
