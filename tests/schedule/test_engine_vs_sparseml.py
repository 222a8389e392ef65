"""The schedule engine agrees with SparseML 1.8's real manager, step by step.

SparseML's `ScheduledModifierManager` is loaded from the finalized recipe text
(`from_yaml`), bound with `modify(model, optimizer, steps_per_epoch)` to a small conv +
linear model and an SGD optimizer with three param groups, and trained for the engine's
number of steps (see `sparseml_driver`). At every step the learning rate and weight decay of
each param group, every pruner's applied target and mask state, the zero count of each
mask, and the QAT flags are compared with :func:`recipe_studio.schedule.simulation.simulate`
(tolerance 1e-9; the deviations found are 0). Where the engine predicts a crash (zero-length
pruning window, off-grid `inverse_cubic` end, one-step `cyclic_linear` cycles, a StepLR
step of 0 steps, bad milestones or `T_0`), SparseML must raise the same exception at the
same step.

Two sources:

* recipes generated with hypothesis (derandomized, so CI runs the same examples): up to two
  GMP-family pruners (GMPruning, Magnitude, GlobalMagnitude, Movement, Structured) on
  disjoint params with random start/end/frequency/curve/leave_enabled, 0-3 learning-rate
  modifiers (SetLearningRate, LearningRateFunction linear/cosine/cyclic_linear,
  LearningRate StepLR/ExponentialLR/MultiStepLR/CosineAnnealingWarmRestarts), SetWeightDecay,
  a legacy QuantizationModifier with BN-freeze/observer epochs, and 1-5 steps per epoch;
* the corpus recipes (../shared/corpus) SparseML loads, adapted to the small model by
  `recipes.adapt` (params rewritten, identical pruner schedules merged, modifiers that need
  a teacher, a grad sampler or the original module names dropped), de-duplicated by their
  adapted text, each at 1-3 steps per epoch.

Run with `-s` to see the agreement figures.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings

from recipe_studio.transform.finalize import finalize_yaml
from recipe_studio.read.load import load
from recipe_studio.schedule.simulation import simulate
from recipe_studio.schedule.order import identifier, sparseml_props
from tests.conftest import CORPUS
from tests.schedule.agreement import Agreement, compare
from tests.schedule.recipes import adapt, recipes

pytestmark = [pytest.mark.slow, pytest.mark.sparseml]

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """SparseML writes `sparse_logs/` into the working directory: use a temporary one."""
    path = tmp_path_factory.mktemp("sparseml-cwd")
    old = os.getcwd()
    os.chdir(path)
    yield path
    os.chdir(old)


def check(text: str, spe: int, agreement: Agreement, label: str, *, measured: bool) -> None:
    from tests.schedule.sparseml_driver import run_sparseml

    recipe = load(text)
    assert recipe.ok, [d.message for d in recipe.errors]
    final = finalize_yaml(recipe, header=False)
    recipe = load(final)
    schedule = simulate(recipe, spe)
    run = run_sparseml(final, spe, schedule.n_steps)
    before = len(agreement.problems)
    compare(recipe, schedule, run, agreement, label=label, measured=measured)
    if len(agreement.problems) == before:
        # the order matched; SparseML's own identifiers must equal ours
        entries = {m.index: m for m in recipe.modifiers}
        for index, mod, their_id, theirs in zip(schedule.order, run.order, run.identifiers,
                                                run.props):
            if type(mod).__name__ == "QuantizationModifier" and "submodules" in theirs:
                continue  # a set: its order depends on the hash seed
            if identifier(entries[index]) != their_id:
                ours = {k: str(v) for k, v in sparseml_props(entries[index]).items()}
                diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs)
                        if ours.get(k) != theirs.get(k)}
                agreement.problems.append(f"{label}: identifier of {type(mod).__name__} "
                                          f"differs: {diff}")


def test_generated_recipes_agree_with_sparseml(workdir) -> None:
    agreement = Agreement()
    examples: list[tuple[str, int]] = []

    @settings(max_examples=250, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(recipes())
    def collect(example: tuple[str, int]) -> None:
        examples.append(example)

    collect()
    for i, (text, spe) in enumerate(examples):
        check(text, spe, agreement, f"generated #{i} (spe {spe})\n{text}", measured=True)
    print("\ngenerated:", agreement.summary())
    assert not agreement.problems, agreement.problems[:3]
    assert agreement.recipes == len(examples) >= 200
    # the generator reaches the interesting cases
    assert agreement.crashes >= 5 and agreement.measured_points > 1000
    assert agreement.qat_points > 0 and agreement.target_points > 1000


def _corpus_texts() -> list[tuple[str, str, int, list[str]]]:
    expected = json.loads((CORPUS / "expected.json").read_text())
    out, seen = [], set()
    for e in expected:
        if e["kind"] != "classic" or not e["loads"]:
            continue
        recipe = load(CORPUS / e["file"])
        if not recipe.ok:
            continue
        adapted = adapt(recipe)
        if adapted is None:
            continue
        text = finalize_yaml(adapted[0], header=False)
        digest = hashlib.sha1(text.encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        out.append((e["file"], text, 1 + int(digest[:2], 16) % 3, adapted[1]))
    return out


@pytest.mark.corpus
def test_corpus_recipes_agree_with_sparseml(workdir) -> None:
    agreement = Agreement()
    texts = _corpus_texts()
    for name, text, spe, _notes in texts:
        check(text, spe, agreement, f"{name} (spe {spe})", measured=False)
    print(f"\ncorpus ({len(texts)} distinct adapted recipes):", agreement.summary())
    assert not agreement.problems, agreement.problems[:3]
    assert agreement.recipes == len(texts) >= 140
    assert agreement.steps > 10_000 and agreement.target_points > 100_000


#: behaviours the generator reaches rarely: chained torch schedulers (the second one reuses
#: the first one's `initial_lr`), CosineAnnealingWarmRestarts with `T_mult`, LR and weight
#: decay on chosen param groups, duplicate milestones, a SetLR inside a scheduler's range,
#: start and end inside one step with `leave_enabled: false`, ConstantPruning after GMP
HANDPICKED = ["""modifiers:
  - !LearningRateModifier
    lr_class: StepLR
    lr_kwargs: {gamma: 0.5, step_size: 0.5}
    init_lr: 0.1
    start_epoch: 0.0
    end_epoch: 2.0
  - !LearningRateModifier
    lr_class: CosineAnnealingWarmRestarts
    lr_kwargs: {lr_min: 0.001, cycle_epochs: 1}
    init_lr: 0.05
    start_epoch: 2.0
  - !SetLearningRateModifier
    start_epoch: 1.25
    learning_rate: 0.3
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 5.0
""", """modifiers:
  - !LearningRateModifier
    lr_class: MultiStepLR
    lr_kwargs: {gamma: 0.5, milestones: [1.0, 1.5, 1.5]}
    init_lr: 0.1
    start_epoch: 0.5
    end_epoch: 3.0
  - !LearningRateFunctionModifier
    lr_func: linear
    init_lr: 0.2
    final_lr: 0.01
    start_epoch: 1.0
    end_epoch: 2.0
    param_groups: [1, 2]
  - !SetWeightDecayModifier
    start_epoch: 0.5
    weight_decay: 0.001
    param_groups: [2]
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 4.0
""", """modifiers:
  - !LearningRateModifier
    lr_class: CosineAnnealingWarmRestarts
    lr_kwargs: {lr_min: 0.001, cycle_epochs: 1, T_mult: 2}
    init_lr: 0.05
    start_epoch: 0.5
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 8.0
""", """modifiers:
  - !GMPruningModifier
    params: [fc1.weight]
    init_sparsity: 0.05
    final_sparsity: 0.7
    start_epoch: 0.3
    end_epoch: 0.4
    update_frequency: 0.1
    leave_enabled: false
  - !GMPruningModifier
    params: [conv2.weight]
    init_sparsity: 0.0
    final_sparsity: 0.6
    start_epoch: 0.0
    end_epoch: 2.0
    update_frequency: 0.5
  - !ConstantPruningModifier
    params: [conv2.weight]
    start_epoch: 2.0
    end_epoch: 3.5
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 4.0
"""]


def test_handpicked_recipes_agree_with_sparseml(workdir) -> None:
    agreement = Agreement()
    for i, text in enumerate(HANDPICKED):
        for spe in (1, 3, 4):
            check(text, spe, agreement, f"handpicked #{i} (spe {spe})", measured=True)
    print("\nhandpicked:", agreement.summary())
    assert not agreement.problems, agreement.problems[:3]
    assert agreement.recipes == 3 * len(HANDPICKED) and agreement.lr_points > 200
