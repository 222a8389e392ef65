"""The models match SparseML 1.8's constructors, so they cannot drift."""

from __future__ import annotations

import inspect

import pytest

from recipe_studio.models import catalog
from recipe_studio.models.base import ModifierSpec
from recipe_studio.models.quantization import LEGACY_ONLY_FIELDS

pytestmark = [pytest.mark.sparseml,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SKIPPED = {"self", "log_types"}


def _signature(cls: type) -> tuple[dict[str, inspect.Parameter], bool]:
    params = inspect.signature(cls.__init__).parameters
    named = {n: p for n, p in params.items() if n not in SKIPPED
             and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
    return named, var_kw


@pytest.mark.parametrize("model", catalog.MODELS, ids=lambda m: m.__name__)
def test_fields_match_the_constructor(model: type[ModifierSpec], sparseml, import_path):
    cls = import_path(model.sparseml_class)
    assert cls.__name__ == model.tag
    params, var_kw = _signature(cls)
    assert set(model.model_fields) == set(params), model.__name__
    assert var_kw == model.accepts_extra
    for name, param in params.items():
        field = model.model_fields[name]
        required = param.default is inspect.Parameter.empty
        assert field.is_required() == required, f"{model.__name__}.{name}"
        if not required:
            default = field.get_default(call_default_factory=True)
            assert default == param.default, f"{model.__name__}.{name}"
            assert type(default) is type(param.default), f"{model.__name__}.{name}"


def test_registered_tags(sparseml):
    import yaml

    registered = {key[len("!pytorch."):] for key in yaml.SafeLoader.yaml_constructors
                  if isinstance(key, str) and key.startswith("!pytorch.")}
    assert registered == set(catalog.TAGS)


def test_legacy_quantization_selection(sparseml):
    from sparseml.optim import ModifierProp
    from sparseml.pytorch.sparsification.quantization import modifier_quantization as new
    from sparseml.pytorch.sparsification.quantization.legacy_modifier_quantization import (
        QuantizationModifier as Legacy,
    )

    def props(cls: type) -> set[str]:
        return {p for p in dir(cls) if isinstance(getattr(cls, p), ModifierProp)}

    assert props(Legacy) - props(new.QuantizationModifier) == LEGACY_ONLY_FIELDS
    for field in sorted(LEGACY_ONLY_FIELDS):
        assert new._select_quantization_modifier({field: None}) is Legacy
        assert catalog.model_for("QuantizationModifier", [field]).sparseml_class == (
            f"{Legacy.__module__}.{Legacy.__name__}")
    assert new._select_quantization_modifier({"scheme": None}) is new.QuantizationModifier
