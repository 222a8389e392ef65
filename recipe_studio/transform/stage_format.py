"""Canonical layout for stage recipes (`*_stage:` / `*_modifiers:` / `Name: {args}`), issue 12.

The classic formatter's design (transform/format.py) carries over; only what a "modifier" is
differs. The canonical layout of a stage recipe:

* two spaces per mapping level (list items indented under their key), as the classic form;
* a modifier (`Name:` in a `*_modifiers` group of a stage) is a block mapping (`Name: {a: 1}`
  becomes `Name:` / `  a: 1`), its arguments in the order of its model for the recipe's
  library (`--target`, the configuration, else the reader's inference): its own fields first,
  then the schedule (`start`, `end`, `update`), unknown arguments last as written; inside `config_groups` each scheme's keys follow compressed-tensors'
  `QuantizationScheme` (`targets`, `weights`, `input_activations`, `output_activations`,
  `format`), and each quantization-args mapping (`weights`, `input_activations`,
  `output_activations`, `kv_cache_scheme`) follows `QuantizationArgs` (`num_bits`, `type`,
  `symmetric`, `group_size`, `strategy`, ...);
* stages, groups and modifiers stay in their order (it is the order the libraries run them
  in), and numbers are not restyled (a stage modifier's `start`/`end` are read as written);
* comments follow the content they sit with, exactly as in the classic formatter (the same
  helpers do it), blank lines as there.

Checked before anything is returned: PyYAML reads the same document from the result, the
comments are the same, and the stage reader reads the same recipe (stages, groups, modifier
types and arguments, in order) for the same library; otherwise :class:`FormatError`. JSON
recipes (`.json`, which both libraries read with `json.loads`) are not formatted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from recipe_studio.transform.layout import (
    FormatError, FormatResult, _document, _reorder, _same, round_trip_format,
)
from recipe_studio.transform.edit import comment_texts, restore_newlines

#: lines longer than this are folded (long flow lists of layer names and patterns)
WIDTH = 100
#: keys of a modifier's arguments that hold one quantization-args mapping
ARGS_KEYS = ("weights", "input_activations", "output_activations")


def is_stage_text(source: Any) -> bool:
    """Whether the recipe in `source` is a stage recipe (the stage reader's own test)."""
    from recipe_studio.read.stage.load import is_stage_recipe
    from recipe_studio.read.yamltree import parse_yaml

    doc = parse_yaml(source)
    return doc.root is not None and is_stage_recipe(doc.root)


def format_stage_text(text: str, *, path: str | None = None, target: str | None = None) -> str:
    """The stage recipe `text` in canonical layout (module docstring); :class:`FormatError`
    when it cannot be formatted without changing what its library reads."""
    from recipe_studio.read.source import SourceError, from_text

    try:
        source = from_text(text, path=path, form=None if path else "text")
    except SourceError as e:
        raise FormatError(e.diagnostic.message, [e.diagnostic]) from None
    return format_stage_source(source, target=target).text


def format_stage_source(source: Any, *, target: str | None = None) -> FormatResult:
    """:func:`format_stage_text` for a recipe read once (a file, standard input or text)."""
    from recipe_studio.read.load import load
    from recipe_studio.read.source import from_text

    path = source.path
    if path and path.lower().endswith(".json"):
        raise FormatError("a JSON recipe is left as it is (both libraries read it with "
                          "`json.loads`; the canonical layout is YAML)")
    before = _document(source)
    recipe = load(source, target=target)
    if recipe.stage_recipe is None:  # pragma: no cover - the caller checked
        raise FormatError("not a stage recipe")
    target = recipe.stage_recipe.target
    yaml_part = source.yaml_text
    body = _format_yaml(yaml_part, target)
    if source.start == 0 and source.end == len(source.text):
        new_part = body.strip("\n") + "\n"
    else:  # front matter: keep the whitespace next to the `---` delimiters
        lead = yaml_part[: len(yaml_part) - len(yaml_part.lstrip())]
        trail = yaml_part[len(yaml_part.rstrip()):]
        new_part = lead + body.strip("\n") + trail
    new_text = source.text[: source.start] + new_part + source.text[source.end:]
    after_source = from_text(new_text, path=path, form=source.form)
    if not _same(before, _document(after_source)):
        raise FormatError("formatting would change what the library reads (a ruamel.yaml "
                          "round-trip difference); the recipe is left as it is")
    if Counter(comment_texts(source.text)) != Counter(comment_texts(new_text)):
        raise FormatError("formatting would lose or alter a comment; the recipe is left as "
                          "it is")
    again = load(after_source, target=target)
    if again.stage_recipe is None or shape(again) != shape(recipe):
        raise FormatError("formatting would change the stages or modifiers the library reads; "
                          "the recipe is left as it is")
    if new_text == source.text:
        return FormatResult(source.original, False, source.text, source.text)
    new = restore_newlines(new_text, source)  # the file's own line endings
    return FormatResult(new, new != source.original, source.text, new_text)


def shape(recipe: Any) -> list[Any]:
    """What a stage recipe is to its library: stages in order, their groups, each modifier's
    type and arguments (as the library receives them)."""
    sr = recipe.stage_recipe
    return [(s.key, s.run_type, s.values,
             [(g.key, [(m.type, _plain(m.args)) for m in g.modifiers]) for g in s.groups])
            for s in sr.stages] + [("variables", _plain(sr.variables))]


def _plain(value: Any) -> Any:
    """Values with key order kept (dicts compare equal in any order; lists of items do not)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ---- the ruamel.yaml pass ------------------------------------------------------------------

def _format_yaml(text: str, target: str) -> str:
    def arrange(data: Any, shared: set[int]) -> None:
        for modifier, name in _modifiers(data):
            _modifier(modifier, name, target, shared)

    return round_trip_format(text, arrange, width=WIDTH)


def _stages(data: Any) -> list[Any]:
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(data, CommentedMap):
        return []
    out = []
    for key, value in data.items():
        if not isinstance(value, CommentedMap) or not isinstance(key, str):
            continue
        if key.endswith("_stage"):
            out.append(value)
        elif key == "stages":
            out.extend(v for v in value.values() if isinstance(v, CommentedMap))
    return out


def _modifiers(data: Any) -> list[tuple[Any, str]]:
    """(mapping, name) of every modifier whose arguments are a mapping."""
    from ruamel.yaml.comments import CommentedMap

    out = []
    for stage in _stages(data):
        for key, group in stage.items():
            if isinstance(key, str) and key.endswith("_modifiers") and \
                    isinstance(group, CommentedMap):
                out.extend((args, name) for name, args in group.items()
                           if isinstance(args, CommentedMap) and isinstance(name, str))
    return out


def _modifier(node: Any, name: str, target: str, shared: set[int]) -> None:
    from recipe_studio.models import stage as stage_models
    from recipe_studio.models.stage import ct_0_19

    model = stage_models.registry(target).get(name)
    if node.fa.flow_style():
        node.fa.set_block_style()
    if model is not None:
        _order(node, field_order(model), shared)
    scheme_order = list(ct_0_19.QuantizationScheme.model_fields)
    args_order = list(ct_0_19.QuantizationArgs.model_fields)
    groups = node.get("config_groups")
    if isinstance(groups, dict):
        for scheme in groups.values():
            if isinstance(scheme, dict):
                _order(scheme, scheme_order, shared)
                for key in ARGS_KEYS:
                    if isinstance(scheme.get(key), dict):
                        _order(scheme[key], args_order, shared)
    if isinstance(node.get("kv_cache_scheme"), dict):
        _order(node["kv_cache_scheme"], args_order, shared)


#: the fields every stage modifier inherits: its place in the schedule (written after the
#: modifier's own fields); `index` and `group` are set by the library
SCHEDULE_FIELDS = ("start", "end", "update")


def field_order(model: type) -> list[str]:
    """A modifier's arguments in canonical order: its own fields in the model's order (what it
    acts on, then its options), then `start`, `end`, `update`."""
    own = [f for f in model.model_fields
           if f not in SCHEDULE_FIELDS and f not in ("index", "group") and not f.endswith("_")]
    return own + list(SCHEDULE_FIELDS)


def _order(node: Any, order: list[str], shared: set[int]) -> None:
    if not hasattr(node, "ca"):
        return
    keys = list(node.keys())
    wanted = sorted(keys, key=lambda k: (order.index(k) if k in order else len(order),
                                         keys.index(k)))
    if wanted != keys:
        _reorder(node, keys, wanted, None, None, shared)
