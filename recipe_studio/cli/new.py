"""`recipe-studio new`: author a recipe from a template."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import EXIT_OK, EXIT_PROBLEMS, usage_error
from recipe_studio.cli.options import epochs_option, model_option, output_option


@app.command()
def new(
    ctx: typer.Context,
    pruning: Annotated[str, typer.Option(
        "--pruning", "-p", metavar="ALGORITHM",
        help="gmp, global, magnitude, movement, obs, mfac, acdc, constant (keeps the zeros "
             "already there: sparse transfer) or none.")] = "global",
    sparsity: Annotated[float, typer.Option("--sparsity", "-s", metavar="FRACTION",
                                            help="Final sparsity, 0 to 1.")] = 0.8,
    quantization: Annotated[bool, typer.Option(
        "--quantization", "--qat", help="End with quantization-aware training.")] = False,
    epochs: Annotated[float, epochs_option("Training length in epochs.")] = 50.0,
    pruning_fraction: Annotated[float, typer.Option(
        "--pruning-fraction", metavar="FRACTION",
        help="Share of the epochs before QAT spent pruning, 0 to 1; the rest "
             "recovers.")] = 0.6,
    lr_schedule: Annotated[str, typer.Option(
        "--lr-schedule", metavar="constant|cosine|linear|step",
        help="Learning-rate schedule after pruning (over the run without pruning).")] = "cosine",
    init_lr: Annotated[float, typer.Option("--init-lr", metavar="LR",
                                           help="Initial learning rate.")] = 0.001,
    final_lr: Annotated[Optional[float], typer.Option(
        "--final-lr", metavar="LR",
        help="Final learning rate of a cosine or linear decay. Default: the initial one "
             "divided by 100.")] = None,
    qat_epochs: Annotated[Optional[float], typer.Option(
        "--qat-epochs", metavar="EPOCHS",
        help="QAT length in epochs. Default: 5, or 2 below 15 epochs.")] = None,
    mask_type: Annotated[str, typer.Option(
        "--mask-type", metavar="unstructured|block4|2:4", help="Sparsity structure.")
    ] = "unstructured",
    target: Annotated[Optional[str], typer.Option(
        "--target", metavar="vnni|tensorrt|llmcompressor|sparseml",
        help="Target hardware: sets --mask-type (vnni: block4, tensorrt: 2:4); with --llm, "
             "the library (default llmcompressor).")] = None,
    llm: Annotated[Optional[str], typer.Option(
        "--llm", metavar="TEMPLATE",
        help="A one-shot LLM stage recipe instead: w4a16, w8a8, fp8-dynamic, 2of4-w4a16, "
             "2of4-fp8 or awq.")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(
        "--ignore", metavar="MODULE",
        help="With --llm: a module name or `re:` pattern left unquantized (repeatable). "
             "Default: lm_head.")] = None,
    group_size: Annotated[Optional[int], typer.Option(
        "--group-size", metavar="N",
        help="With --llm w4a16, 2of4-w4a16 or awq: weights per quantization group. "
             "Default: 128.")] = None,
    smoothing_strength: Annotated[float, typer.Option(
        "--smoothing-strength", metavar="ALPHA",
        help="With --llm w8a8: SmoothQuant's migration strength, 0 to 1.")] = 0.8,
    dampening_frac: Annotated[float, typer.Option(
        "--dampening-frac", metavar="FRACTION",
        help="With --llm: GPTQ's and SparseGPT's Hessian dampening, 0 to 1.")] = 0.01,
    distillation: Annotated[bool, typer.Option(
        "--distillation", help="Add knowledge distillation from a teacher.")] = False,
    hardness: Annotated[float, typer.Option(
        "--hardness", metavar="WEIGHT", help="Distillation loss weight, 0 to 1.")] = 0.5,
    temperature: Annotated[float, typer.Option(
        "--temperature", metavar="T", help="Distillation temperature.")] = 2.0,
    model: Annotated[Optional[str], model_option("prune its prunable weights")] = None,
    output: Annotated[Optional[str], output_option(
        "Write the recipe to this file (.yaml, or .md for a recipe card), atomically.")
    ] = None,
) -> None:
    """Write a new recipe: variables at the top, a comment on every phase, lint-clean.

    Without -o the recipe is printed. Exit 0 on success, 2 for invalid options.
    """
    if llm is not None:
        _new_llm(ctx, llm, target, ignore, group_size, smoothing_strength, dampening_frac,
                 model, output)
    _no_llm_options(ctx, target)
    from recipe_studio.transform.new import (
        NewError, RecipeOptions, as_markdown, new_recipe,
    )

    mask_type = _mask_type(target, mask_type)  # checked before the model is read
    params, source = _model_params(model)
    options = RecipeOptions(
        pruning=pruning, sparsity=sparsity, quantization=quantization, epochs=epochs,
        pruning_fraction=pruning_fraction, lr_schedule=lr_schedule, init_lr=init_lr,
        final_lr=final_lr, qat_epochs=qat_epochs, mask_type=mask_type,
        distillation=distillation, hardness=hardness, temperature=temperature, params=params,
        model=Path(source).name if source else None, command=_command(ctx))
    try:
        text = new_recipe(options)
    except NewError as e:
        raise usage_error(str(e)) from None
    name = Path(output).name if output else "recipe.yaml"
    if output and output.lower().endswith(".md"):
        text = as_markdown(text, options, name)
    _lint_clean_or_exit(text, name)
    _write(text, output)


_LLM_ONLY = ("ignore", "group_size", "smoothing_strength", "dampening_frac")


def _given(ctx: Any, name: str) -> bool:
    return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"


def _no_llm_options(ctx: Any, target: str | None) -> None:
    for name in _LLM_ONLY:
        if _given(ctx, name):
            raise usage_error(f"--{name.replace('_', '-')} applies to --llm templates only")
    if target in ("llmcompressor", "sparseml"):
        raise usage_error(f"--target {target} is a library: give an --llm template "
                          "(w4a16, w8a8, fp8-dynamic, 2of4-w4a16, 2of4-fp8, awq)")


def _new_llm(ctx: Any, template: str, target: str | None, ignore: list[str] | None,
             group_size: int | None, smoothing_strength: float, dampening_frac: float,
             model: str | None, output: str | None) -> None:
    """`new --llm`: a stage recipe from transform/new_llm.py, lint-clean (against `--model`
    when it names a Hugging Face directory), printed or written."""
    from recipe_studio.transform.new import NewError
    from recipe_studio.transform.new_llm import LLMOptions, new_llm_recipe

    classic = [p.name for p in ctx.command.params if p.name and p.name not in
               (*_LLM_ONLY, "llm", "target", "model", "output") and _given(ctx, p.name)]
    if classic:
        raise usage_error(f"--{classic[0].replace('_', '-')} does not apply to --llm "
                          "templates (one-shot stage recipes)")
    if target in ("vnni", "tensorrt"):
        raise usage_error(f"--target {target} is hardware; --llm takes --target "
                          "llmcompressor or sparseml")
    options = LLMOptions(template=template, target=target or "llmcompressor",
                         ignore=list(ignore) if ignore else ["lm_head"],
                         group_size=group_size, smoothing_strength=smoothing_strength,
                         dampening_frac=dampening_frac, command=_command(ctx))
    try:
        text = new_llm_recipe(options)
    except NewError as e:
        raise usage_error(str(e)) from None
    params = None
    if model is not None:
        from recipe_studio.lint.modelinfo import ModelError, read_model

        try:
            params = read_model(model)
        except ModelError as e:
            raise usage_error(str(e)) from None
    name = Path(output).name if output else "recipe.yaml"
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load

    found = lint_recipe(load(text, path=name, target=options.target),
                        LintSettings(isolated=True, model=params))
    if found:
        why = "; ".join(f"{d.code} {d.message}" for d in found)
        if params is not None and all(d.code.startswith("RS82") for d in found):
            raise usage_error(f"the template does not fit `{model}`: {why}")
        if ignore:  # the user's own ignore list (e.g. without lm_head)
            raise usage_error(f"the recipe these options make does not lint clean: {why}")
        typer.echo(f"recipe-studio: internal error: the generated recipe has {why}", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    _write(text, output)


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        raise typer.Exit(EXIT_OK)
    from recipe_studio.io import atomic_write

    try:
        atomic_write(output, text)
    except OSError as e:
        raise usage_error(f"cannot write `{output}`: {e.strerror or e}") from None
    typer.echo(f"wrote {output}", err=True)
    raise typer.Exit(EXIT_OK)


def _mask_type(target: str | None, mask_type: str) -> str:
    """The mask type `--target` implies (a usage error when --mask-type says otherwise)."""
    if target is None:
        return mask_type
    from recipe_studio.transform.new import TARGETS

    if target not in TARGETS:
        raise usage_error("--target must be vnni or tensorrt")
    wanted = TARGETS[target]
    if mask_type not in ("unstructured", wanted):
        raise usage_error(f"--target {target} needs --mask-type {wanted}, not {mask_type}")
    return wanted


def _model_params(model: str | None) -> tuple[Any, Any]:
    """The prunable parameter names of `--model` and the file they came from."""
    if model is None:
        return None, None
    from recipe_studio.lint.modelinfo import ModelError
    from recipe_studio.transform.new import prunable_params

    try:
        params, source = prunable_params(model)
    except ModelError as e:
        raise usage_error(str(e)) from None
    if not params:
        raise usage_error(f"`{model}` has no prunable weights (2-D or larger `.weight` "
                          "tensors)")
    return params, source


def _lint_clean_or_exit(text: str, name: str) -> None:
    """A template bug must never hand out a recipe that does not load or lint clean."""
    from recipe_studio.lint.engine import LintSettings, lint_recipe
    from recipe_studio.read.load import load

    found = lint_recipe(load(text, path=name), LintSettings(isolated=True))
    if found:
        for d in found:
            typer.echo(f"recipe-studio: internal error: the generated recipe has "
                       f"{d.code} {d.message}", err=True)
        raise typer.Exit(EXIT_PROBLEMS)


def _command(ctx: Any) -> str:
    """The options given, as a command line (for the recipe's header)."""
    parts = ["recipe-studio", "new"]
    for param in ctx.command.params:
        if param.name is None or param.name == "output":
            continue
        source = ctx.get_parameter_source(param.name)
        if getattr(source, "name", None) != "COMMANDLINE":
            continue
        value = ctx.params[param.name]
        flag = max(param.opts, key=len)
        if isinstance(value, list):
            for v in value:
                parts += [flag, shlex.quote(str(v))]
            continue
        if isinstance(value, bool):
            if value:
                parts.append(flag)
            continue
        text = f"{value:g}" if isinstance(value, float) else str(value)
        if param.name == "model":
            text = Path(text).name
        parts += [flag, shlex.quote(text)]
    return " ".join(parts)
