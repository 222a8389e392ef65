"""`recipe-studio new --llm TEMPLATE`: the common one-shot LLM compression recipes, written as
stage recipes for llm-compressor 0.14 or SparseML 1.8 (`--target`).

Templates, and where each library supports them:

| template      | what                                          | llm-compressor 0.14 | SparseML 1.8 |
|---------------|-----------------------------------------------|---------------------|--------------|
| `w4a16`       | weight-only INT4, GPTQ, groups of 128          | `scheme: W4A16`     | config group |
| `w8a8`        | SmoothQuant, then GPTQ INT8 weights and        | `scheme: W8A8`      | config group, explicit mappings |
|               | dynamic per-token INT8 activations            |                     |              |
| `fp8-dynamic` | FP8 weights, dynamic FP8 activations, no data | `FP8_DYNAMIC`       | refused      |
| `2of4-w4a16`  | SparseGPT 2:4, then INT4 weights (round to     | two stages          | two stages   |
|               | nearest: zeros stay zero)                     |                     |              |
| `2of4-fp8`    | SparseGPT 2:4, then FP8 dynamic               | two stages          | refused      |
| `awq`         | AWQ, then INT4 asymmetric weights             | `W4A16_ASYM`        | refused      |

SparseML 1.8 runs compressed-tensors 0.4.0, whose only presets are `W8A8` and `W4A16` and which
has no float8 code (no FP8 compressor, no FP8 rounding), and it has no `AWQModifier`; those
templates are refused for it with the reason. After a 2:4 SparseGPT stage the quantizer is
`QuantizationModifier` (round to nearest), not GPTQ: GPTQ's error compensation rewrites the
zeroed weights and loses the 2:4 mask (neither library's GPTQ keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recipe_studio.transform.new import NewError

TEMPLATES = ("w4a16", "w8a8", "fp8-dynamic", "2of4-w4a16", "2of4-fp8", "awq")
LIBRARIES = ("llmcompressor", "sparseml")
#: template -> why SparseML 1.8 cannot run it
SPARSEML_REFUSES = {
    "fp8-dynamic": "SparseML 1.8 runs compressed-tensors 0.4.0, which has no FP8 (no float8 "
                   "preset, compressor or rounding)",
    "2of4-fp8": "SparseML 1.8 runs compressed-tensors 0.4.0, which has no FP8 (no float8 "
                "preset, compressor or rounding)",
    "awq": "SparseML 1.8 has no AWQModifier (it came with llm-compressor)",
}
GROUPED = ("w4a16", "2of4-w4a16", "awq")
LIBRARY_NAME = {"llmcompressor": "llm-compressor 0.14", "sparseml": "SparseML 1.8"}

_WHAT = {
    "w4a16": "weight-only INT4 quantization (W4A16) with GPTQ",
    "w8a8": "INT8 weights and activations (W8A8): SmoothQuant, then GPTQ",
    "fp8-dynamic": "FP8 weights and dynamic per-token FP8 activations (no calibration data)",
    "2of4-w4a16": "2:4 sparsity with SparseGPT, then weight-only INT4 (W4A16)",
    "2of4-fp8": "2:4 sparsity with SparseGPT, then FP8 dynamic quantization",
    "awq": "AWQ (activation-aware weight scaling), then weight-only INT4 asymmetric",
}

#: Llama-family SmoothQuant mappings (SparseML 1.8 has no default: `mappings` is required)
_LLAMA_MAPPINGS = [
    '[["re:.*q_proj", "re:.*k_proj", "re:.*v_proj"], "re:.*input_layernorm"]',
    '[["re:.*gate_proj", "re:.*up_proj"], "re:.*post_attention_layernorm"]',
]


@dataclass
class LLMOptions:
    template: str
    target: str = "llmcompressor"
    ignore: list[str] = field(default_factory=lambda: ["lm_head"])
    group_size: int | None = None
    smoothing_strength: float = 0.8
    dampening_frac: float = 0.01
    command: str | None = None

    def check(self) -> None:
        if self.template not in TEMPLATES:
            raise NewError(f"--llm must be one of {', '.join(TEMPLATES)}, not "
                           f"`{self.template}`")
        if self.target not in LIBRARIES:
            raise NewError(f"--llm needs --target llmcompressor or sparseml, not "
                           f"`{self.target}`")
        if self.target == "sparseml" and self.template in SPARSEML_REFUSES:
            raise NewError(f"--llm {self.template} is not available for --target sparseml: "
                           f"{SPARSEML_REFUSES[self.template]}; use --target llmcompressor")
        if self.group_size is not None:
            if self.template not in GROUPED:
                raise NewError(f"--group-size applies to {', '.join(GROUPED)}, not "
                               f"--llm {self.template}")
            if self.group_size < 1 or self.group_size & (self.group_size - 1):
                raise NewError(f"--group-size must be a power of two, got {self.group_size}")
        if not 0 < self.smoothing_strength < 1:
            raise NewError(f"--smoothing-strength must be between 0 and 1, got "
                           f"{self.smoothing_strength:g}")
        if not 0 < self.dampening_frac < 1:
            raise NewError(f"--dampening-frac must be between 0 and 1, got "
                           f"{self.dampening_frac:g}")
        for i in self.ignore:
            if not i or any(c in i for c in "\n\"'"):
                raise NewError(f"--ignore entries must be module names or `re:` patterns, "
                               f"got `{i}`")


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\") + '"'


def _list(items: list[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _num(x: float) -> str:
    return f"{x:g}"


class _W:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "", indent: int = 0) -> None:
        self.lines.append(" " * indent + line if line else "")


def new_llm_recipe(o: LLMOptions) -> str:
    o.check()
    w = _W()
    lib = LIBRARY_NAME[o.target]
    command = o.command or f"recipe-studio new --llm {o.template} --target {o.target}"
    w(f"# Generated by `{command}`.")
    w(f"# {_WHAT[o.template][0].upper()}{_WHAT[o.template][1:]}, one-shot, for {lib}.")
    w("# Calibration data, the model and the output come from the one-shot call, not from the")
    w("# recipe. `recipe-studio lint --model MODEL_DIR` checks targets, ignore and group sizes")
    w("# against a Hugging Face model directory without loading its weights.")
    t = o.template
    if t.startswith("2of4"):
        _sparsity_stage(w, o)
        w()
        w("# Round-to-nearest keeps the zeros of the 2:4 mask (GPTQ would rewrite them).")
        w("quantization_stage:")
        if o.target == "sparseml":
            w("run_type: oneshot", 2)
        w("quantization_modifiers:", 2)
        _quantizer(w, o, "QuantizationModifier", "fp8" if t == "2of4-fp8" else "w4a16", 4)
    elif t == "awq":
        w("quant_stage:")
        w("quant_modifiers:", 2)
        w("# AWQ scales salient channels first; its mappings are inferred from the model's", 4)
        w("# architecture (give `mappings` for one llm-compressor does not know).", 4)
        w("AWQModifier:", 4)
        w("duo_scaling: true", 6)
        _quantizer(w, o, "QuantizationModifier", "w4a16_asym", 4)
    else:
        w("quant_stage:")
        if o.target == "sparseml":
            w("run_type: oneshot", 2)
        w("quant_modifiers:", 2)
        if t == "w8a8":
            w("# SmoothQuant moves activation outliers into the weights before INT8.", 4)
            w("SmoothQuantModifier:", 4)
            w(f"smoothing_strength: {_num(o.smoothing_strength)}", 6)
            if o.target == "sparseml":
                w("# Llama-family layer names; SparseML 1.8 has no default mappings.", 6)
                w("mappings:", 6)
                for mp in _LLAMA_MAPPINGS:
                    w(f"- {mp}", 8)
            _quantizer(w, o, "GPTQModifier", "w8a8", 4)
        elif t == "w4a16":
            _quantizer(w, o, "GPTQModifier", "w4a16", 4)
        else:
            _quantizer(w, o, "QuantizationModifier", "fp8", 4)
    return "\n".join(w.lines) + "\n"


def _sparsity_stage(w: _W, o: LLMOptions) -> None:
    w("sparsity_stage:")
    if o.target == "sparseml":
        w("run_type: oneshot", 2)
    w("sparsity_modifiers:", 2)
    w("# 2:4: two of every four consecutive weights are zero (exactly 50% sparse).", 4)
    w("SparseGPTModifier:", 4)
    w("sparsity: 0.5", 6)
    w('mask_structure: "2:4"', 6)
    w(f"dampening_frac: {_num(o.dampening_frac)}", 6)
    if o.target == "sparseml":
        w("sequential_update: false", 6)
        w("# SparseML 1.8: `targets` are the layers compressed one at a time.", 6)
        w('targets: ["re:model.layers.\\\\d+$"]', 6)


def _quantizer(w: _W, o: LLMOptions, modifier: str, kind: str, indent: int) -> None:
    """One quantization modifier: a preset scheme where the library has it, else a config
    group spelled out."""
    w(f"{modifier}:", indent)
    i = indent + 2
    if o.target == "sparseml" and modifier == "GPTQModifier":
        w("sequential_update: false", i)
    if modifier == "GPTQModifier":
        w(f"dampening_frac: {_num(o.dampening_frac)}", i)
    w(f"ignore: {_list(o.ignore)}", i)
    gs = o.group_size or 128
    preset = {"w4a16": "W4A16", "w8a8": "W8A8", "fp8": "FP8_DYNAMIC",
              "w4a16_asym": "W4A16_ASYM"}[kind]
    if o.target == "llmcompressor" and (gs == 128 or kind not in ("w4a16", "w4a16_asym")):
        w("targets: [Linear]", i)
        w(f"scheme: {preset}", i)
        return
    w("config_groups:", i)
    w("group_0:", i + 2)
    w("targets: [Linear]", i + 4)
    if kind in ("w4a16", "w4a16_asym"):
        sym = "true" if kind == "w4a16" else "false"
        w(f"weights: {{num_bits: 4, type: int, symmetric: {sym}, strategy: group, "
          f"group_size: {gs}}}", i + 4)
    elif kind == "w8a8":
        w("weights: {num_bits: 8, type: int, symmetric: true, strategy: channel}", i + 4)
        w("input_activations: {num_bits: 8, type: int, symmetric: true, strategy: token, "
          "dynamic: true}", i + 4)


def combinations() -> list[LLMOptions]:
    """Every template the libraries support, with each of its options at its default and at
    another value (the tests judge and lint each one)."""
    import itertools

    out = []
    for template, target in itertools.product(TEMPLATES, LIBRARIES):
        if target == "sparseml" and template in SPARSEML_REFUSES:
            continue
        groups = (None, 32) if template in GROUPED else (None,)
        alphas = (0.8, 0.5) if template == "w8a8" else (0.8,)
        ignores = (["lm_head"], ["lm_head", "re:.*mlp.gate$"])
        damps = (0.01, 0.05) if template != "fp8-dynamic" and template != "awq" else (0.01,)
        for gs, alpha, ign, damp in itertools.product(groups, alphas, ignores, damps):
            out.append(LLMOptions(template=template, target=target, ignore=list(ign),
                                  group_size=gs, smoothing_strength=alpha, dampening_frac=damp))
    return out
