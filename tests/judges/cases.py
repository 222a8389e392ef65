"""Handmade stage recipes with the verdicts SparseML 1.8 and llm-compressor 0.14 give them
(../shared/reference/stage-recipes.md, probes P08/P09)."""

from __future__ import annotations

import json

GPTQ = """\
quant_stage:
  gptq_modifiers:
    GPTQModifier:
      ignore: [lm_head]
      scheme: W4A16
      targets: [Linear]
"""

# name -> (text, suffix, SparseML verdict, llm-compressor verdict); a verdict is True (loads) or
# (exception type, substring of its message)
CASES: dict[str, tuple[str, str, object, object]] = {
    "gptq": (GPTQ, ".yaml", True, True),
    "gptq_json": (
        json.dumps({"quant_stage": {"quant_modifiers": {"GPTQModifier": {"scheme": "W4A16", "targets": "Linear"}}}}),
        ".json", True, True),
    "gptq_md": ("# card\n---\n" + GPTQ + "---\ntext\n", ".md", True, True),
    "percdamp_ignored_or_forbidden": (
        "s_stage:\n  p_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, percdamp: 0.01}\n", ".yaml",
        True, ("ValidationError", "extra_forbidden")),
    "smoothquant_without_mappings": (
        "q_stage:\n  q_modifiers:\n    SmoothQuantModifier: {smoothing_strength: 0.8}\n", ".yaml",
        ("ValidationError", "mappings"), True),
    "eval_variable": (
        "strength: 0.7\nq_stage:\n  q_modifiers:\n    SmoothQuantModifier:\n"
        "      smoothing_strength: eval(strength)\n      mappings: [[['re:.*q_proj'], 're:.*norm']]\n",
        ".yaml", True, ("ValidationError", "smoothing_strength")),
    "empty_args": ("q_stage:\n  q_modifiers:\n    GPTQModifier: {}\n", ".yaml",
                   ("ValueError", "args must be set before evaluating"), True),
    "awq_alone": ("q_stage:\n  q_modifiers:\n    AWQModifier: {duo_scaling: true}\n", ".yaml",
                  ("ValueError", "No modifier of type 'AWQModifier'"),
                  ("ValidationError", "no subsequent quantization modifier")),
    "no_stage_suffix": ("quant:\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n", ".yaml", True, True),
    "top_level_modifiers": ("q_modifiers:\n  GPTQModifier: {scheme: W4A16}\n", ".yaml",
                            ("KeyError", "stages"), True),
    "run_type_bogus": ("q_stage:\n  run_type: bogus\n  q_modifiers:\n    GPTQModifier: {scheme: W4A16}\n",
                       ".yaml", ("ValidationError", "run_type"), True),
    "legacy_quantization": ("q_stage:\n  q_modifiers:\n    LegacyQuantizationModifier: {start: 0}\n",
                            ".yaml", True, ("ValueError", "No modifier of type 'LegacyQuantizationModifier'")),
    "yaml_error": ("q_stage:\n\tq_modifiers: {}\n", ".yaml", ("ScannerError", ""), ("ScannerError", "")),
}
