"""`recipe-studio oneshot`: lint a stage recipe, run llm-compressor's one-shot with it, and
check what the saved checkpoint holds against what the recipe asked for."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any, Literal, Optional

import typer

from recipe_studio.cli import app
from recipe_studio.cli.common import EXIT_OK, EXIT_PROBLEMS, print_diagnostics, usage_error
from recipe_studio.cli.options import (ColorOption, OutputFormat, StageOption, format_option,
                                       output_option, quiet_option)


@app.command()
def oneshot(
    recipe: Annotated[Optional[str], typer.Option(
        "--recipe", "-r", metavar="FILE", help="The stage recipe (llm-compressor 0.14).")] = None,
    model: Annotated[Optional[str], typer.Option(
        "--model", metavar="DIR",
        help="A Hugging Face model directory (config.json, safetensors, tokenizer).")] = None,
    out: Annotated[Optional[str], output_option(
        "The directory the compressed checkpoint (and oneshot.log) is saved to.",
        metavar="DIR")] = None,
    samples: Annotated[int, typer.Option(
        "--samples", metavar="N", min=1, help="Calibration samples.")] = 16,
    seq_len: Annotated[int, typer.Option(
        "--seq-len", metavar="N", min=1, help="Tokens per calibration sample.")] = 64,
    seed: Annotated[int, typer.Option(
        "--seed", metavar="N", help="Seed of the synthetic calibration token ids.")] = 0,
    timeout: Annotated[float, typer.Option(
        "--timeout", metavar="SECONDS", min=1, help="Stop llm-compressor after this long.")
    ] = 3600.0,
    tiny_model: Annotated[Optional[str], typer.Option(
        "--tiny-model", metavar="DIR",
        help="Only write a tiny random Llama model (2 layers, width 256, its tokenizer) to "
             "DIR, for trying recipes; nothing is downloaded.")] = None,
    report_file: Annotated[Optional[str], typer.Option(
        "--report", metavar="FILE", help="Also write the JSON report to FILE.")] = None,
    format: Annotated[Literal[OutputFormat.text, OutputFormat.json],
                      format_option()] = OutputFormat.text,
    quiet: Annotated[bool, quiet_option("Print no progress on standard error.")] = False,
    color: ColorOption = None,
    stage: StageOption = None,
) -> None:
    """Run llm-compressor's one-shot compression with a recipe, then check the checkpoint.

    The recipe is validated and linted first (target llmcompressor): on an error nothing is
    loaded and the command exits 1 with the diagnostics. The run happens in llm-compressor's
    own environment (.venv-llmc, or $RECIPE_STUDIO_LLMC_PYTHON) on synthetic calibration token
    ids. Then the saved quantization config, the measured sparsity of the stored weights and
    the bytes on disk are compared with what the recipe asked for. Exit 0 when all of it
    holds, 1 on lint errors, a failed run or a check not held, 2 for usage errors or a missing
    llm-compressor environment.
    """
    if tiny_model:
        if recipe or model or out:
            raise usage_error("--tiny-model DIR takes no --recipe, --model or --output")
        _write_tiny_model(tiny_model)
    missing = [name for name, value in (("--recipe", recipe), ("--model", model),
                                        ("--output", out)) if not value]
    if missing:
        raise usage_error(f"missing {', '.join(missing)} (or use --tiny-model DIR)")
    assert recipe and model and out
    _gate(recipe, model, format=format, color=color, quiet=quiet, stage=stage)
    report = _run(recipe, model, out, samples=samples, seq_len=seq_len, seed=seed, stage=stage,
                  timeout=timeout, quiet=quiet)
    _emit(report, report_file, format)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


def _write_tiny_model(directory: str) -> None:
    """`--tiny-model DIR`: write the model, say what it is, exit."""
    from recipe_studio.oneshot.run import OneshotError, OneshotUnavailable
    from recipe_studio.oneshot.run import tiny_model as make_tiny

    try:
        facts = make_tiny(directory)
    except OneshotUnavailable as e:
        raise usage_error(str(e)) from None
    except OneshotError as e:
        sys.stderr.write(f"recipe-studio: error: {e}\n")
        raise typer.Exit(EXIT_PROBLEMS) from None
    print(f"wrote a tiny Llama ({facts['layers']} layers, hidden size "
          f"{facts['hidden_size']}, vocabulary {facts['vocab_size']}, "
          f"{facts['parameters']:,} parameters, random weights) to {directory}")
    raise typer.Exit(EXIT_OK)


def _gate(recipe: str, model: str, *, format: OutputFormat, color: bool | None,
          quiet: bool, stage: str | None) -> None:
    """Validate and lint the recipe before anything loads: exit 1 on an error or a classic
    recipe, 2 when the files are not there; print the warnings (unless quiet)."""
    from pathlib import Path

    from recipe_studio.diagnostics import has_errors
    from recipe_studio.oneshot.gate import gate

    if not os.path.isfile(recipe):
        raise usage_error(f"cannot read `{recipe}`: not a file")
    result = gate(recipe, model, stage=stage)
    if has_errors(result.diagnostics):
        print_diagnostics(result.diagnostics, {recipe: result.recipe}, color=color,
                          stream=sys.stderr if format == OutputFormat.json else None)
        sys.stderr.write("recipe-studio: oneshot: refusing to run: fix the errors first "
                         "(nothing was loaded)\n")
        raise typer.Exit(EXIT_PROBLEMS)
    if result.stage_recipe is None:
        sys.stderr.write(f"recipe-studio: oneshot: refusing to run: {recipe} is a classic "
                         "SparseML recipe; llm-compressor runs stage recipes (nothing was "
                         "loaded)\n")
        raise typer.Exit(EXIT_PROBLEMS)
    from recipe_studio.cli.stage_support import check_stage

    check_stage(result.recipe, stage)  # llm-compressor would silently run no modifier
    if not (Path(model) / "config.json").is_file():
        raise usage_error(f"`{model}` is not a model directory (no config.json)")
    if result.diagnostics and not quiet:
        print_diagnostics(result.diagnostics, {recipe: result.recipe}, color=color,
                          stream=sys.stderr)


def _run(recipe: str, model: str, out: str, *, quiet: bool, **options: Any) -> Any:
    """llm-compressor's run in its environment: the report, or exit 1 (failed) / 2 (no
    environment)."""
    from recipe_studio.oneshot.run import OneshotError, OneshotUnavailable, run

    say = (lambda line: None) if quiet else (lambda line: print(line, file=sys.stderr,
                                                                flush=True))
    try:
        return run(recipe, model, out, say=say, **options)
    except OneshotUnavailable as e:
        raise usage_error(str(e)) from None
    except OneshotError as e:
        sys.stderr.write(f"recipe-studio: error: {e}\n")
        if e.log:
            sys.stderr.write(f"(llm-compressor's output: {e.log})\n")
        raise typer.Exit(EXIT_PROBLEMS) from None


def _emit(report: Any, report_file: str | None, format: OutputFormat) -> None:
    from recipe_studio.oneshot.run import format_table

    if report_file:
        from recipe_studio.io import atomic_write

        atomic_write(report_file, json.dumps(report.to_json(), indent=2) + "\n")
    if format == OutputFormat.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_table(report))
