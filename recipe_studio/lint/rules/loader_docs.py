"""Documentation of the codes the recipe core emits (what `validate` reports).

Each entry gives the parts of a ruff-style rule page that `codes.Code` does not hold:
why it matters, an example and the fix. The summary and "SparseML behaviour" come from
the Code itself, so each fact lives in one place.
"""

from __future__ import annotations

from recipe_studio.read.codes import Code

# code -> (why is this bad, example, use instead)
DOCS: dict[str, tuple[str, str, str]] = {
    "RS001": ("Nothing can be checked, and SparseML fails before reading a line.",
              "recipe-studio validate recipes/missing.yaml",
              "Pass an existing recipe file or a directory."),
    "RS002": ("A recipe is a few kilobytes; a file this large is not a recipe, and parsing it "
              "would waste time and memory.", "recipe-studio validate model.onnx.yaml",
              "Check the path; split generated recipes."),
    "RS003": ("SparseML reads recipes as text; binary or mis-encoded bytes fail with an "
              "unhelpful decoding error.", "a recipe saved as Latin-1 with `café` in a comment",
              "Save the file as UTF-8."),
    "RS004": ("Nothing after the error can be read, so SparseML loads nothing.",
              "modifiers:\n  - !GMPruningModifier\n    params: [conv1.weight\n",
              "Fix the YAML at the reported position (close brackets, indent with spaces)."),
    "RS005": ("The first value is silently discarded: a second `modifiers:` key drops the "
              "whole first list.", "modifiers:\n  - !EpochRangeModifier {start_epoch: 0, "
              "end_epoch: 10}\nmodifiers:\n  - !SetLearningRateModifier {learning_rate: 0.1}\n",
              "Keep one entry per key (merge the two lists, or name them "
              "`training_modifiers`/`pruning_modifiers`)."),
    "RS006": ("SparseML reads a Markdown recipe card only from its YAML front matter; without "
              "it the card has no recipe.", "# My recipe\n\n```yaml\nmodifiers: ...\n```\n",
              "---\nmodifiers:\n  - ...\n---\n# My recipe\n"),
    "RS007": ("The file loads in recipe-studio but `ScheduledModifierManager.from_yaml` "
              "refuses it by its extension.", "recipes/prune.yml", "recipes/prune.yaml"),
    "RS008": ("SparseML parses the file as one YAML document; a `---` separator (for example "
              "front-matter delimiters left in a `.yaml` file) makes it a stream.",
              "---\nmodifiers: [...]\n---\n", "Remove the separators, or rename the file to "
              "`.md` if it is a recipe card."),
    "RS009": ("Aliases can describe structures exponentially larger than the file; expanding "
              "them exhausts memory (a \"billion laughs\").",
              "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n...",
              "Write the values out; recipes never need nested aliases."),
    "RS010": ("SparseML rewrites `!Name` to its own tag only when no `.` follows on the same "
              "line, so a flow-style modifier with decimals keeps an unknown tag.",
              "- !EpochRangeModifier {start_epoch: 0.0, end_epoch: 4.0}",
              "- !EpochRangeModifier\n  start_epoch: 0.0\n  end_epoch: 4.0"),
    "RS011": ("SparseML's text rewrite makes `key: !Name` into `key: OBJECT.Name:`, which is "
              "not valid YAML.", "pruner: !GMPruningModifier {...}",
              "pruning_modifiers:\n  - !GMPruningModifier\n    ..."),
    "RS012": ("The explicit tag bypasses the rewrite; the first parse builds the modifier and "
              "the re-serialisation SparseML performs fails.",
              "modifiers:\n  - !pytorch.EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 1.0",
              "modifiers:\n  - !EpochRangeModifier\n    ..."),
    "RS013": ("Deep nesting is not a recipe and can exhaust the parser's recursion.",
              "a: [[[[[[[[ ... ]]]]]]]]", "Flatten the data."),
    "RS014": ("An empty recipe has no modifiers; SparseML fails with a confusing error.",
              "(an empty file)", "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n"
              "    end_epoch: 10.0"),
    "RS015": ("SparseML rewrites every `!word` with no `.` after it on its line, including the "
              "`!float` inside YAML's `!!float`: the result `!OBJECT.float:` has no constructor, "
              "and the recipe does not load.",
              "modifiers:\n  - !EpochRangeModifier\n    start_epoch: !!float 0\n"
              "    end_epoch: 10\n",
              "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 10\n"),
    "RS101": ("SparseML 1.8 registers 26 PyTorch modifiers; any other tag (a typo, a research "
              "fork's modifier, a removed one) fails to load.", "- !MagnutidePruningModifier",
              "- !MagnitudePruningModifier"),
    "RS102": ("SparseML's constructors take keyword arguments; an unknown one fails the load "
              "(or, for RigL, is silently dropped).", "- !GMPruningModifier\n  final_sparsty: 0.8",
              "- !GMPruningModifier\n  final_sparsity: 0.8"),
    "RS103": ("The constructor cannot be called without it.",
              "- !TrainableParamsModifier\n  params: __ALL__",
              "- !TrainableParamsModifier\n  params: __ALL__\n  trainable: false"),
    "RS104": ("Nothing would happen: SparseML refuses a recipe without modifiers.",
              "modifers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 10}",
              "modifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 10}"),
    "RS105": ("SparseML only collects modifier lists under keys containing `modifiers`.",
              "pruning:\n  - !GMPruningModifier ...", "pruning_modifiers:\n  - !GMPruningModifier ..."),
    "RS106": ("SparseML needs a mapping at the top of a recipe (variables and modifier lists).",
              "- !EpochRangeModifier\n  start_epoch: 0.0\n  end_epoch: 10.0",
              "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 10.0"),
    "RS107": ("Stage recipes are read when their modifier mappings sit in `*_modifiers` "
              "groups of `*_stage` keys (RS130-RS136 check them); under any other key no "
              "library finds them, so nothing would run.",
              "sparsity_modifiers_v2:\n  SparseGPTModifier:\n    sparsity: 0.5",
              "sparsity_stage:\n  sparsity_modifiers:\n    SparseGPTModifier:\n"
              "      sparsity: 0.5"),
    "RS108": ("A plain value or mapping in a modifier list is not a modifier; SparseML keeps "
              "it and crashes when it uses it.", "modifiers:\n  - start_epoch: 0.0",
              "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n    end_epoch: 1.0"),
    "RS109": ("SparseML refuses staged recipes whose stages disagree on `__metadata__`.",
              "stage_a:\n  __metadata__: {}\n  a_modifiers: [...]\nstage_b:\n  b_modifiers: [...]",
              "Give every stage `__metadata__`, or none."),
    "RS110": ("SparseML tests each top-level key with `\"modifiers\" in key`, which crashes on "
              "numbers.", "0.5: sparse", "sparsity_note: sparse"),
    "RS111": ("The recipe is evaluated as staged but loaded as flat: `eval()` in the "
              "top-level lists stays unevaluated and the stage's modifiers are dropped.",
              "modifiers: [...]\nfinetune_stage:\n  finetune_modifiers: [...]",
              "Put every modifier list in a stage (or none)."),
    "RS201": ("The constructor rejects the value's type (for sparsities: anything but a YAML "
              "float), or a later `float()` fails.", "final_sparsity: 1",
              "final_sparsity: 1.0"),
    "RS202": ("SparseML checks the range when it builds the modifier.",
              "final_sparsity: 1.5", "final_sparsity: 0.95"),
    "RS203": ("Only the listed values are implemented.", "lr_func: step",
              "lr_func: linear"),
    "RS204": ("The schedule is impossible (end before start, start below -1, a negative "
              "update frequency).", "start_epoch: 3.0\nend_epoch: 1.0",
              "start_epoch: 1.0\nend_epoch: 3.0"),
    "RS205": ("A string `params` must be one of the two tokens; any other string (a single "
              "name, a regex, a typo) is rejected.", "params: 're:.*conv.*weight'",
              "params: ['re:.*conv.*weight']"),
    "RS301": ("The expression cannot be evaluated; SparseML's message names neither the field "
              "nor the line.", "end_epoch: eval(num_epoch)", "end_epoch: eval(num_epochs)"),
    "RS302": ("No evaluation order exists.", "a: eval(b + 1)\nb: eval(a + 1)",
              "a: 1.0\nb: eval(a + 1)"),
    "RS303": ("SparseML's restricted evaluator accepts numbers, numeric variables, "
              "`+ - * / // % **` and `abs float int min max round` only; anything else fails "
              "(and is never executed).", "x: eval(__import__('os').getcwd())",
              "x: eval(num_epochs - 5)"),
    "RS304": ("SparseML evaluates without limits: `eval(10**10**8)` runs for minutes and "
              "hundreds of MB before failing.", "x: eval(10**10**10)", "x: eval(10**3)"),
    "RS305": ("Division by zero or float overflow aborts the load.",
              "x: eval(num_epochs / (a - a))", "x: eval(num_epochs / 2)"),
    "RS306": ("Variables and fields computed by `eval` must be numbers.",
              "x: eval(prune_params)   # a list", "params: eval(prune_params)   # inside a modifier"),
    "RS307": ("SparseML 1.8 crashes on unary minus inside `eval(...)` (an AttributeError).",
              "start: eval(-1)", "start: eval(0 - 1)"),
    "RS308": ("SparseML only overrides variables the recipe defines, and refuses others.",
              "recipe-studio validate r.yaml --var num_epoch=20",
              "recipe-studio validate r.yaml --var num_epochs=20"),
    "RS309": ("SparseML's CSV form turns every `:` into `=`, so values with `:` or `=` cannot "
              "pass; a JSON value that is not an object crashes.",
              "--vars 'prune_params=re:.*weight'", "--vars '{\"prune_params\": \"re:.*weight\"}'"),
    "RS310": ("Only the first statement is evaluated; the rest is dead text that may hide "
              "intent.", "x: eval(1; 2)", "x: eval(1)"),
    "RS016": ("Files that are not recipes would otherwise get a baffling YAML or structure "
              "error (a README's diff block read as front matter, TOML read as YAML); one "
              "diagnostic says what is wrong. Reported only when the file does not load and "
              "the part SparseML reads has no trace of a recipe (no `!...Modifier` tag, no "
              "`modifiers:` key); no recipe of the conformance corpus gets it.",
              "recipe-studio lint pyproject.toml", "recipe-studio lint recipes/pruning.yaml"),
    "RS130": ("The library fails on the first unknown modifier name and loads nothing; a typo or "
              "a modifier of the other library is the usual cause.",
              "quant_stage:\n  quant_modifiers:\n    GPTQModifer: {scheme: W4A16}",
              "quant_stage:\n  quant_modifiers:\n    GPTQModifier: {scheme: W4A16}"),
    "RS131": ("llm-compressor refuses the recipe (`extra=\"forbid\"`); SparseML drops the field "
              "silently, so the setting never takes effect (`percdamp` was renamed "
              "`dampening_frac`).",
              "sparse_stage:\n  sparse_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, "
              "percdamp: 0.01}",
              "sparse_stage:\n  sparse_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, "
              "dampening_frac: 0.01}"),
    "RS132": ("The modifier cannot be created without it, so the recipe does not load.",
              "quant_stage:\n  quant_modifiers:\n    SmoothQuantModifier: {smoothing_strength: "
              "0.8}  # SparseML 1.8 needs `mappings`",
              "quant_stage:\n  quant_modifiers:\n    SmoothQuantModifier:\n      "
              "smoothing_strength: 0.8\n      mappings: [[['re:.*q_proj'], 're:.*norm']]"),
    "RS133": ("The library's recipe parser crashes with an exception that names neither the "
              "key nor the line.", "quant_stage:\n  quant_modifiers:\n    GPTQModifier:",
              "quant_stage:\n  quant_modifiers:\n    GPTQModifier: {scheme: W4A16}"),
    "RS134": ("The recipe loads, but the modifiers under the key never run: nothing says so.",
              "quant:\n  quant_modifiers:\n    GPTQModifier: {scheme: W4A16}",
              "quant_stage:\n  quant_modifiers:\n    GPTQModifier: {scheme: W4A16}"),
    "RS135": ("The two libraries accept different recipes; checking against the wrong one "
              "reports problems that are not there or misses real ones.",
              "recipe-studio validate recipe.yaml",
              "recipe-studio validate --target llmcompressor recipe.yaml"),
    "RS136": ("llm-compressor refuses the recipe before any model is loaded.",
              "awq_stage:\n  awq_modifiers:\n    AWQModifier: {duo_scaling: true}",
              "awq_stage:\n  awq_modifiers:\n    AWQModifier: {duo_scaling: true}\n    "
              "QuantizationModifier: {scheme: W4A16}"),
    "RS220": ("The modifier cannot be created with this value, so the recipe does not load.",
              "quant_stage:\n  quant_modifiers:\n    GPTQModifier: {scheme: W4A17}",
              "quant_stage:\n  quant_modifiers:\n    GPTQModifier: {scheme: W4A16}"),
    "RS320": ("SparseML stops at the first failing expression with a bare Python error.",
              "prune_stage:\n  prune_modifiers:\n    ConstantPruningModifier:\n      targets: "
              "__ALL_PRUNABLE__\n      start: eval(warm_up_epochs)",
              "warm_up_epochs: 2\nprune_stage:\n  prune_modifiers:\n    "
              "ConstantPruningModifier:\n      targets: __ALL_PRUNABLE__\n      start: "
              "eval(warm_up_epochs)"),
    "RS017": ("Nothing is reported about a value recipe-studio cannot see; the note says which "
              "argument went unchecked, so a clean result is not mistaken for a full one.",
              "recipe-studio lint quantize.py  # GPTQModifier(scheme=args.scheme, ...)",
              "Write the value as a literal, or a name bound once to one (`SCHEME = \"W4A16\"`)."),
    "RS018": ("No recipe in the script can be read; Python itself refuses to run it.",
              "recipe-studio lint quantize.py  # `def main(:`",
              "Fix the syntax at the reported position."),
    "RS999": ("A bug in recipe-studio: the rest of the report may be incomplete.",
              "(any recipe)", "Report it with the recipe attached."),
}

#: loader codes whose diagnostics carry a fix
FIXES = {"RS130": "sometimes", "RS131": "sometimes", "RS012": "always", "RS006": "sometimes", "RS101": "sometimes", "RS102": "sometimes", "RS105": "sometimes",
         "RS203": "sometimes", "RS205": "sometimes", "RS301": "sometimes",
         "RS303": "sometimes"}

#: how safe each loader fix is (the policy is in `recipe_studio.lint.fix`)
_RENAME = ("The did-you-mean rename is the fix (the language server's preferred quick fix). ")
FIX_SAFETY = {
    "RS006": "Safe: a near-miss delimiter (`___`, `- - -`, an em dash) becomes `---`, which is what the card meant.",
    "RS012": "Safe: removes the `pytorch.` prefix, which names the same class.",
    "RS101": _RENAME + "Unsafe: another modifier class is another behaviour; applied by "
             "`lint --fix --unsafe-fixes`.",
    "RS102": _RENAME + "Safe when the misspelt key is the only one close to a required field "
             "that is missing (the modifier cannot load any other way); unsafe when the "
             "field is optional (its value then replaces the default). No fix when the "
             "field is already written.",
    "RS105": _RENAME + "Unsafe: the list's modifiers start to take effect.",
    "RS203": _RENAME + "Unsafe: another value is another behaviour.",
    "RS130": _RENAME + "Unsafe: another modifier class is another behaviour.",
    "RS131": _RENAME + "Unsafe: the field starts to take effect.",
    "RS205": _RENAME + "Unsafe: the token selects every (prunable) parameter.",
    "RS301": _RENAME + "Unsafe: another variable is another value (every use in that "
             "expression is renamed).",
    "RS303": _RENAME + "Unsafe: another function is another value.",
}

#: load errors (`codes.is_load_error`) can be fixed, never suppressed
LOAD_ERROR_NOTE = ("A load error: `lint` always reports it (no suppression comment, "
                   "`ignore`/`select`/`severity` setting or `--ignore`/`--exit-zero` hides "
                   "it), and the language server offers no \"disable\" action for it.")


def doc(code: Code) -> str:
    why, example, use = DOCS.get(code.code, ("", "", ""))
    lang = "" if example.startswith(("recipe-studio", "(", "--")) else "yaml"
    use_block = use if not ("\n" in use or use.startswith(("- ", "final", "start", "lr_",
                                                           "params", "modifiers", "x:",
                                                           "end_epoch", "pruning_", "a:",
                                                           "sparsity_", "---"))) \
        else f"```yaml\n{use}\n```"
    return (f"{code.summary.rstrip('.')}.\n\n"
            f"## What it does\n{code.summary}\n\n"
            f"## Why is this bad?\n{why}\n\n"
            f"## SparseML behaviour\n{code.sparseml}\n\n"
            f"## Example\n```{lang}\n{example}\n```\n\n"
            f"## Use instead\n{use_block}\n"
            + (f"\n## Suppression\n{LOAD_ERROR_NOTE}"
               + (" Its warning form (both values equal) can be suppressed."
                  if code.code == "RS005" else "") + "\n" if code.load_error else "")
            + (f"\n## Fix safety\n{FIX_SAFETY[code.code]}\n" if code.code in FIX_SAFETY
               else ""))
