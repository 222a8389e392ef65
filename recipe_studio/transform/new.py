"""Author a recipe from a template: `recipe-studio new`.

The recipe is built the way SparseML's own templates are (`sparseml.recipe_template`):
variables at the top and modifiers that read them through `eval(...)`, so a recipe can be
re-budgeted by changing one number (or with `recipe-studio scale`) and every phase keeps its
proportions. Unlike SparseML's template, each phase is explained by a comment, derived epochs
are expressions of the few values a user sets, and every combination of options is checked
to give a recipe that loads in SparseML 1.8 and lints clean.

What is covered, against `sparseml.pytorch.recipe_template.recipe_template`:

* pruning algorithms: GMP, global magnitude, magnitude, movement, OBS, M-FAC, AC/DC,
  constant (sparse transfer: keep the existing zeros), none — SparseML's `true`/`false`/
  `acdc`/`mfac`/`movement`/`obs`/`constant`;
* `--sparsity`, `--epochs`, `--init-lr`, `--final-lr`, the LR function (`linear`, `cosine`,
  plus `constant` and `step`), `--mask-type` (`unstructured`, `block4`, `2:4`) and
  `--target vnni|tensorrt` (SparseML's mapping to `block4` / `2:4`), `--distillation` with
  `--hardness` and `--temperature`, quantization with BN freezing and observer disabling
  half way through QAT (SparseML's `num_qat_finetuning_epochs = num_qat_epochs / 2`), QAT
  length 5 epochs from 15 epochs of training up and 2 below (SparseML's rule), and the
  pruning update frequency (1 epoch when the pruning phase is longer than 20 epochs,
  1/20 of it otherwise);
* `--model FILE` (an `.onnx`, a torch state_dict or a list of names): the params are the
  model's prunable weights, leaving out names with `input`/`output` as SparseML does;
* a `.md` output gets the recipe as front matter followed by a description.

Where SparseML's template uses the legacy QuantizationModifier (`submodules`,
`quantize_*_activations`), this one uses the scheme-based form SparseML 1.8 recommends, and
where it runs one LR function over the whole run, this one holds the LR during pruning,
decays it during recovery and drops it for QAT (what SparseML's published sparsification
recipes do); AC/DC epochs are whole numbers (SparseML's template writes a fractional
`update_frequency` that AC/DC rejects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from recipe_studio.numbers import yaml_float

Pruning = Literal["gmp", "global", "magnitude", "movement", "obs", "mfac", "acdc", "constant",
                  "none"]
LRSchedule = Literal["constant", "cosine", "linear", "step"]
MaskType = Literal["unstructured", "block4", "2:4"]

PRUNERS: dict[str, str] = {
    "gmp": "GMPruningModifier",
    "global": "GlobalMagnitudePruningModifier",
    "magnitude": "MagnitudePruningModifier",
    "movement": "MovementPruningModifier",
    "obs": "OBSPruningModifier",
    "mfac": "MFACPruningModifier",
    "acdc": "ACDCPruningModifier",
    "constant": "ConstantPruningModifier",
}
PRUNING_CHOICES = (*PRUNERS, "none")
LR_CHOICES = ("constant", "cosine", "linear", "step")
MASK_CHOICES = ("unstructured", "block4", "2:4")
TARGETS = {"vnni": "block4", "tensorrt": "2:4"}
#: what lint's `no-recovery-epochs` asks for after pruning ends
MIN_RECOVERY_EPOCHS = 1.0

_WHAT = {
    "gmp": "gradual magnitude pruning, layer by layer",
    "global": "gradual magnitude pruning with one threshold over all layers (global)",
    "magnitude": "gradual magnitude pruning, layer by layer",
    "movement": "movement pruning (weights moving towards zero are pruned first)",
    "obs": "Optimal Brain Surgeon pruning (second-order; needs a grad sampler)",
    "mfac": "M-FAC pruning (second-order; needs a grad sampler)",
    "acdc": "AC/DC: alternating dense and sparse phases of whole epochs",
}


class NewError(ValueError):
    """The options do not make a valid recipe; the message says which and why."""


@dataclass
class RecipeOptions:
    """What `recipe-studio new` was asked for."""

    pruning: str = "global"
    sparsity: float = 0.8
    quantization: bool = False
    epochs: float = 50.0
    pruning_fraction: float = 0.6
    lr_schedule: str = "cosine"
    init_lr: float = 0.001
    final_lr: float | None = None
    qat_epochs: float | None = None
    mask_type: str = "unstructured"
    distillation: bool = False
    hardness: float = 0.5
    temperature: float = 2.0
    #: parameter names to prune (None: `__ALL_PRUNABLE__`)
    params: list[str] | None = None
    #: where the params came from (for the header)
    model: str | None = None
    command: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def check(self) -> None:
        """Raise :class:`NewError` for options that cannot make a sound recipe."""
        if self.pruning not in PRUNING_CHOICES:
            raise NewError(f"--pruning must be one of {', '.join(PRUNING_CHOICES)}")
        if self.lr_schedule not in LR_CHOICES:
            raise NewError(f"--lr-schedule must be one of {', '.join(LR_CHOICES)}")
        if self.mask_type not in MASK_CHOICES:
            raise NewError(f"--mask-type must be one of {', '.join(MASK_CHOICES)}")
        if not 0 < self.epochs <= 100_000:
            raise NewError(f"--epochs must be positive, got {self.epochs:g}")
        if not 0 < self.init_lr <= 1:
            raise NewError(f"--init-lr must be in (0, 1], got {self.init_lr:g}")
        if self.final_lr is not None and not 0 <= self.final_lr <= 1:
            raise NewError(f"--final-lr must be in [0, 1], got {self.final_lr:g}")
        if self.ramps and not 0 < self.sparsity < 1:
            raise NewError(f"--sparsity must be between 0 and 1, got {self.sparsity:g}")
        if self.mask_type == "2:4" and self.ramps and self.sparsity != 0.5:
            raise NewError("a 2:4 mask is exactly 50% sparse: use --sparsity 0.5")
        if self.mask_type != "unstructured" and self.pruning in ("obs", "mfac", "acdc"):
            raise NewError(f"--mask-type {self.mask_type} is not supported with "
                           f"--pruning {self.pruning}")
        if self.ramps and not 0 < self.pruning_fraction < 1:
            raise NewError(f"--pruning-fraction must be between 0 and 1, got "
                           f"{self.pruning_fraction:g}")
        if self.distillation and not (0 <= self.hardness <= 1 and self.temperature > 0):
            raise NewError("--hardness must be in [0, 1] and --temperature positive")
        if self.quantization and not 0 < self.qat_length < self.epochs:
            given = "--qat-epochs" if self.qat_epochs is not None else "the default QAT length"
            raise NewError(f"{given} ({self.qat_length:g} epochs) leaves no training before "
                           f"QAT in {self.epochs:g} epochs: give more --epochs or a smaller "
                           "--qat-epochs")
        if self.ramps:
            recovery = self.sparse_end * (1 - self.pruning_fraction)
            if self.pruning == "acdc":
                recovery = self.sparse_end - round(self.sparse_end * self.pruning_fraction)
            if recovery < MIN_RECOVERY_EPOCHS:
                before = " before QAT" if self.quantization else ""
                raise NewError(
                    f"only {recovery:g} epochs are left to recover after pruning (of the "
                    f"{self.sparse_end:g} epochs{before}, --pruning-fraction "
                    f"{self.pruning_fraction:g} prune); at least {MIN_RECOVERY_EPOCHS:g} is "
                    "needed: give more --epochs or a smaller --pruning-fraction")
            if self.pruning == "acdc" and round(self.sparse_end * self.pruning_fraction) < 2:
                raise NewError("AC/DC needs at least 2 whole epochs of pruning: give more "
                               "--epochs or a larger --pruning-fraction")

    @property
    def ramps(self) -> bool:
        """A pruner that moves the sparsity (not constant, not none)."""
        return self.pruning not in ("constant", "none")

    @property
    def qat_length(self) -> float:
        if self.qat_epochs is not None:
            return float(self.qat_epochs)
        return 5.0 if self.epochs >= 15 else 2.0  # SparseML's recipe_template rule

    @property
    def sparse_end(self) -> float:
        return self.epochs - self.qat_length if self.quantization else self.epochs

    @property
    def final(self) -> float:
        return self.final_lr if self.final_lr is not None else self.init_lr / 100

    @property
    def qat_lr(self) -> float:
        """QAT runs at a small learning rate: a hundredth of the initial one."""
        return self.init_lr / 100


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, *text: str, indent: int = 0) -> None:
        for t in text:
            self.lines.append(" " * indent + ("# " + t if t else "#"))

    def line(self, text: str = "", comment: str | None = None, width: int = 40) -> None:
        if comment:
            pad = max(width, len(text) + 2)
            text = f"{text:<{pad}}# {comment}"
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def new_recipe(options: RecipeOptions) -> str:
    """The recipe text for `options` (YAML; see :func:`as_markdown` for a recipe card).

    The text is written top to bottom by one writer per part: the header, the variables
    of each phase (training length, sparsity, params, learning rate, distillation, the
    derived epochs), then the modifiers of each phase (the epoch range, learning rate,
    distillation, pruning, quantization).
    """
    o = options
    o.check()
    w = _Writer()
    _header(w, o)
    # ---- variables ---------------------------------------------------------------------
    _training_length(w, o)
    _sparsity_variables(w, o)
    _params_variable(w, o)
    _lr_variables(w, o)
    _distillation_variables(w, o)
    end_all = _derived_epochs(w, o)
    # ---- modifiers ---------------------------------------------------------------------
    _epoch_range(w)
    _lr_modifiers(w, o, end_all)
    _distillation_modifier(w, o)
    _pruning_modifiers(w, o)
    _quantization_modifier(w, o)
    return w.text()


def _header(w: _Writer, o: RecipeOptions) -> None:
    what = []
    if o.ramps:
        what.append(f"prune to {o.sparsity:g} sparsity ({_WHAT[o.pruning]})")
    elif o.pruning == "constant":
        what.append("keep the sparsity the model already has (sparse transfer learning)")
    if o.quantization:
        what.append("quantization-aware training")
    if o.distillation:
        what.append("distillation from a teacher")
    summary = ", then ".join(what) if what else "train with a learning-rate schedule"
    w.comment(*_wrap(f"A SparseML recipe: {summary}, over {o.epochs:g} epochs.", 88))
    if o.command:
        w.comment(f"Generated by `{o.command}`.")
    w.comment("Every epoch below is computed from the variables at the top: change",
              "`num_epochs` (or run `recipe-studio scale`) and all phases keep their proportions;",
              "SparseML's --recipe_args can override any variable, e.g. "
              "'{\"num_epochs\": 20}'.")
    w.line("version: 1.1.0")
    w.line()


def _training_length(w: _Writer, o: RecipeOptions) -> None:
    w.comment("Training length")
    w.line(f"num_epochs: {yaml_float(o.epochs)}", "the whole run (SparseML's max_epochs)")
    if o.quantization:
        w.line(f"qat_epochs: {yaml_float(o.qat_length)}", "the last epochs: quantization-aware training")
    if o.ramps:
        w.line(f"pruning_fraction: {o.pruning_fraction!r}",
               "share of the sparse phase spent pruning; the rest recovers")
    w.line()


def _sparsity_variables(w: _Writer, o: RecipeOptions) -> None:
    if not o.ramps:
        return
    w.comment("Sparsity")
    if o.pruning == "acdc":
        w.line(f"final_sparsity: {o.sparsity!r}", "sparsity of the sparse (compressed) phases")
        phase = max(1, round(round(o.sparse_end * o.pruning_fraction) / 10))
        w.line(f"acdc_phase_epochs: {phase}", "length of each dense/sparse phase (whole "
                                              "epochs)")
    else:
        init = o.sparsity if o.mask_type == "2:4" else min(0.05, o.sparsity)
        w.line(f"init_sparsity: {init!r}", "sparsity of the first pruning step")
        w.line(f"final_sparsity: {o.sparsity!r}", "sparsity reached when pruning ends")
        active = o.sparse_end * o.pruning_fraction
        freq = 1.0 if active > 20 else active / 20  # SparseML's recipe_template rule
        w.line(f"pruning_update_frequency: {yaml_float(round(freq, 6))}",
               "epochs between two pruning steps")
        w.line(f"mask_type: {_mask_text(o.mask_type)}",
               {"unstructured": "any weight can be pruned",
                "block4": "blocks of 4 weights (VNNI CPUs)",
                "2:4": "2 of every 4 weights (NVIDIA sparse tensor cores)"}[o.mask_type])
    w.line()


def _params_variable(w: _Writer, o: RecipeOptions) -> None:
    if o.params is None or o.pruning == "none":
        return
    w.comment(f"The prunable weights of {o.model or 'the model'} ({len(o.params)} tensors)")
    w.line("prunable_params:")
    for p in o.params:
        w.line(f"  - {_quote(p)}")
    w.line()


def _lr_variables(w: _Writer, o: RecipeOptions) -> None:
    w.comment("Learning rate")
    w.line(f"init_lr: {yaml_float(o.init_lr)}", "learning rate at the start")
    if o.lr_schedule in ("cosine", "linear"):
        w.line(f"final_lr: {yaml_float(o.final)}", f"reached at the end of the {o.lr_schedule} decay")
    if o.lr_schedule == "step":
        w.line("lr_gamma: 0.1", "factor applied at each step of the schedule")
    if o.quantization:
        w.line(f"qat_lr: {yaml_float(o.qat_lr)}", "for QAT: a hundredth of init_lr")
    w.line()


def _distillation_variables(w: _Writer, o: RecipeOptions) -> None:
    if not o.distillation:
        return
    w.comment("Distillation")
    w.line(f"distill_hardness: {o.hardness!r}", "weight of the distillation loss")
    w.line(f"distill_temperature: {o.temperature!r}", "softmax temperature")
    w.line()


def _derived_epochs(w: _Writer, o: RecipeOptions) -> str:
    """The epochs computed from the variables; returns the name of the end of the sparse
    phase (`sparse_end` before QAT, else `num_epochs`)."""
    derived = []
    if o.quantization:
        derived.append(("sparse_end: eval(num_epochs - qat_epochs)", "QAT starts here"))
        end_all = "sparse_end"
    else:
        end_all = "num_epochs"
    if o.ramps:
        expr = f"{end_all} * pruning_fraction"
        if o.pruning == "acdc":
            expr = f"round({expr})"
        derived.append((f"pruning_end: eval({expr})", "pruning stops, recovery starts"))
    if o.quantization:
        derived.append(("qat_freeze_epoch: eval(sparse_end + qat_epochs / 2)",
                        "BN statistics and observers frozen"))
    if o.lr_schedule == "step":
        lr_start = "pruning_end" if o.ramps else None
        span = f"{end_all} - pruning_end" if lr_start else end_all
        derived.append((f"lr_step_epochs: eval(({span}) / 3)", "the LR drops every third"))
    if derived:
        w.comment("Derived epochs: these follow the values above")
        for text, note in derived:
            w.line(text, note)
        w.line()
    return end_all


def _epoch_range(w: _Writer) -> None:
    w.line("training_modifiers:")
    w.comment("The run: SparseML's max_epochs is the largest epoch of any modifier; this one",
              "states the training length.", indent=2)
    w.line("  - !EpochRangeModifier")
    w.line("    start_epoch: 0.0")
    w.line("    end_epoch: eval(num_epochs)")
    w.line()


def _distillation_modifier(w: _Writer, o: RecipeOptions) -> None:
    if not o.distillation:
        return
    w.comment("Distillation from a teacher model (passed to SparseML's manager at train",
              "time) over the whole run: loss = hardness x distillation + (1 - hardness) x",
              "task loss.", indent=2)
    w.line("  - !DistillationModifier")
    w.line("    start_epoch: 0.0")
    w.line("    end_epoch: eval(num_epochs)")
    w.line("    hardness: eval(distill_hardness)")
    w.line("    temperature: eval(distill_temperature)")
    w.line()


def _pruning_modifiers(w: _Writer, o: RecipeOptions) -> None:
    pruner = PRUNERS.get(o.pruning)
    if pruner is None:
        return
    params = "eval(prunable_params)" if o.params is not None else "__ALL_PRUNABLE__"
    w.line("pruning_modifiers:")
    if o.pruning == "constant":
        w.comment("Keep the zeros the model already has for the whole run (sparse transfer",
                  "learning): the masks are fixed at the first step and never released.",
                  indent=2)
        w.line("  - !ConstantPruningModifier")
        w.line("    start_epoch: 0.0")
        w.line(f"    params: {params}")
    elif o.pruning == "acdc":
        _acdc_modifier(w, o, params)
    else:
        _gradual_modifier(w, o, pruner, params)
    w.line()


def _acdc_modifier(w: _Writer, o: RecipeOptions, params: str) -> None:
    w.comment(*_wrap(f"Phase 1, pruning (epochs 0 to pruning_end): {_WHAT['acdc']}; "
                     "the last phase is sparse and its masks stay for the rest of "
                     "training.", 86),
              *_wrap("Phase 2, recovery (pruning_end to "
                     f"{'sparse_end' if o.quantization else 'the end'}): the sparse "
                     "network recovers its accuracy.", 86), indent=2)
    w.line("  - !ACDCPruningModifier")
    w.line("    compression_sparsity: eval(final_sparsity)")
    w.line("    start_epoch: 0")
    w.line("    end_epoch: eval(pruning_end)")
    w.line("    update_frequency: eval(acdc_phase_epochs)")
    w.line(f"    params: {params}")
    w.line("    global_sparsity: true")
    w.line("    leave_enabled: true")


def _gradual_modifier(w: _Writer, o: RecipeOptions, pruner: str, params: str) -> None:
    """GMP, global magnitude, magnitude, movement, OBS and M-FAC: a cubic ramp."""
    ramp = ("the sparsity is applied at the first step (a 2:4 mask is 50% sparse)"
            if o.mask_type == "2:4" else
            "sparsity rises from init_sparsity to final_sparsity along a cubic curve, "
            "one step every pruning_update_frequency epochs")
    w.comment(*_wrap(f"Phase 1, pruning (epochs 0 to pruning_end): "
                     f"{_WHAT[o.pruning]}; {ramp}.", 86),
              *_wrap("Phase 2, recovery (pruning_end to "
                     f"{'sparse_end' if o.quantization else 'the end'}): the masks "
                     "stay (leave_enabled) while the network recovers its accuracy.",
                     86), indent=2)
    w.line(f"  - !{pruner}")
    w.line("    init_sparsity: eval(init_sparsity)")
    w.line("    final_sparsity: eval(final_sparsity)")
    w.line("    start_epoch: 0.0")
    w.line("    end_epoch: eval(pruning_end)")
    w.line("    update_frequency: eval(pruning_update_frequency)")
    w.line(f"    params: {params}")
    w.line("    leave_enabled: true")
    w.line("    inter_func: cubic")
    w.line("    mask_type: eval(mask_type)")
    if o.pruning == "gmp":
        w.line("    global_sparsity: false")
    if o.pruning == "obs":
        w.line("    num_grads: 1024", "gradients sampled per pruning step",
               width=40)
        w.line("    fisher_block_size: 50", "size of the Fisher blocks", width=40)
        w.line("    damp: 1.0e-07", width=40)
        w.line("    global_sparsity: true")
    if o.pruning == "mfac":
        w.line("    num_grads: 64", "gradients sampled per pruning step", width=40)
        w.line("    fisher_block_size: 10000", "size of the Fisher blocks", width=40)
        w.line("    global_sparsity: true")


def _quantization_modifier(w: _Writer, o: RecipeOptions) -> None:
    if not o.quantization:
        return
    pruner = PRUNERS.get(o.pruning)
    w.line("quantization_modifiers:")
    w.comment("Phase 3, QAT (the last qat_epochs epochs): fake quantization is inserted at",
              "sparse_end; batch-norm statistics are frozen and the observers stop "
              "updating", "the ranges half way through."
              + (" The masks of the pruning phase stay." if pruner else ""), indent=2)
    w.line("  - !QuantizationModifier")
    w.line("    start_epoch: eval(sparse_end)")
    w.line("    freeze_bn_stats_epoch: eval(qat_freeze_epoch)")
    w.line("    disable_quantization_observer_epoch: eval(qat_freeze_epoch)")


def _lr_modifiers(w: _Writer, o: RecipeOptions, end_all: str) -> None:
    start = "pruning_end" if o.ramps else None
    where = "over the recovery epochs" if start else "over the run" + (
        " until QAT" if o.quantization else "")
    if o.lr_schedule == "constant":
        w.comment("Learning rate: init_lr for the whole " + ("sparse phase" if o.quantization
                                                             else "run") + ".", indent=2)
        w.line("  - !SetLearningRateModifier")
        w.line("    start_epoch: 0.0")
        w.line("    learning_rate: eval(init_lr)")
        w.line()
    else:
        lines = []
        if start:
            lines.append("Learning rate: init_lr while pruning, then")
        else:
            lines.append("Learning rate:")
        shape = {"cosine": "a cosine decay to final_lr", "linear": "a linear decay to final_lr",
                 "step": "divided by 1/lr_gamma every lr_step_epochs"}[o.lr_schedule]
        lines[-1] += f" {shape} {where}."
        w.comment(*_wrap(lines[0], 86), indent=2)
        if start:
            w.line("  - !SetLearningRateModifier")
            w.line("    start_epoch: 0.0")
            w.line("    learning_rate: eval(init_lr)")
            w.line()
        if o.lr_schedule == "step":
            w.line("  - !LearningRateModifier")
            w.line(f"    start_epoch: {'eval(pruning_end)' if start else '0.0'}")
            w.line(f"    end_epoch: eval({end_all})")
            w.line("    lr_class: StepLR")
            w.line("    lr_kwargs:")
            w.line("      step_size: eval(lr_step_epochs)")
            w.line("      gamma: eval(lr_gamma)")
            w.line("    init_lr: eval(init_lr)")
        else:
            w.line("  - !LearningRateFunctionModifier")
            w.line(f"    start_epoch: {'eval(pruning_end)' if start else '0.0'}")
            w.line(f"    end_epoch: eval({end_all})")
            w.line(f"    lr_func: {o.lr_schedule}")
            w.line("    init_lr: eval(init_lr)")
            w.line("    final_lr: eval(final_lr)")
        w.line()
    if o.quantization:
        w.comment("QAT fine-tunes at a low learning rate.", indent=2)
        w.line("  - !SetLearningRateModifier")
        w.line("    start_epoch: eval(sparse_end)")
        w.line("    learning_rate: eval(qat_lr)")
        w.line()


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line)
    return out


def _mask_text(mask: str) -> str:
    return "'2:4'" if mask == "2:4" else mask


def _quote(name: str) -> str:
    if name.replace(".", "").replace("_", "").isalnum() and not name[0].isdigit():
        return name
    return "'" + name.replace("'", "''") + "'"


DESCRIPTION = """
# {title}

This recipe card was generated by `recipe-studio new`. SparseML reads only the YAML front
matter above; everything after it is documentation.

{phases}

## Changing it

Every epoch follows `num_epochs` and the other variables at the top of the front matter.
Change them in the file, pass them to a SparseML integration with
`--recipe_args '{{"num_epochs": 20, "init_lr": 0.0005}}'`, or rescale the whole recipe with
`recipe-studio scale {name} --epochs 20`. Check the result with `recipe-studio lint {name}`
and look at the schedule with `recipe-studio show {name}`.

## Using it

```python
from sparseml.pytorch.optim import ScheduledModifierManager

manager = ScheduledModifierManager.from_yaml("{name}")
optimizer = manager.modify(model, optimizer, steps_per_epoch=len(train_loader))
# ... train for manager.max_epochs epochs, then:
manager.finalize(model)
```
"""


def as_markdown(recipe: str, options: RecipeOptions, name: str) -> str:
    """A recipe card: the recipe as front matter, then a description."""
    o = options
    phases = []
    if o.ramps:
        phases.append(f"1. **Pruning**, from epoch 0 to `pruning_end` "
                      f"({o.sparse_end * o.pruning_fraction:g}): {_WHAT[o.pruning]}, up to "
                      f"{o.sparsity:g} sparsity.")
        phases.append(f"2. **Recovery**, to epoch {o.sparse_end:g}: the sparse network "
                      "recovers its accuracy.")
    elif o.pruning == "constant":
        phases.append("1. **Sparse transfer learning**: the existing zeros are kept while "
                      "training.")
    else:
        phases.append(f"1. **Training** to epoch {o.sparse_end:g}.")
    if o.quantization:
        phases.append(f"{len(phases) + 1}. **Quantization-aware training** for the last "
                      f"{o.qat_length:g} epochs.")
    title = "Sparsification recipe" if o.pruning != "none" else "Training recipe"
    return "---\n" + recipe + "---\n" + DESCRIPTION.format(
        title=title, phases="\n".join(phases), name=name)


def prunable_params(path: str) -> tuple[list[str], str]:
    """The prunable weights of a model file, as SparseML's template picks them."""
    from recipe_studio.lint.modelinfo import read_model

    model = read_model(path)
    names = [n for n in model.names if model.prunable(n)
             and "input" not in n and "output" not in n]
    return names, model.source or path
