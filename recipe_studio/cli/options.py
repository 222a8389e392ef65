"""Every option that more than one command takes, defined once: one spelling, one meaning.

* `-q/--quiet`: less output (never anything else);
* `-o/--output FILE`: where the result goes;
* `-f/--format`: one vocabulary of format names (:class:`OutputFormat`); each command
  declares the members it accepts as a `Literal` of them (diagnostics always
  :data:`DiagnosticFormat`: text, concise, json, github, sarif);
* `--stdin-filename NAME`: the name of the recipe read from `-` (standard input).

Help texts are written for people: the value's name is in the metavar (`N`, `FILE`), the
range in words, and a list option says whether it is repeated or comma-separated.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal, Optional

import typer


class OutputFormat(str, enum.Enum):
    """Every `--format` name of every command. A command accepts a subset, written as a
    `Literal` of members (typer lists, checks and reports exactly those, in that order)."""

    text = "text"
    concise = "concise"
    json = "json"
    github = "github"
    sarif = "sarif"
    yaml = "yaml"
    markdown = "markdown"


#: how `validate` and `lint` report diagnostics (the same names for both); the renderers
#: are `recipe_studio.render.report.RENDERERS`
DiagnosticFormat = Literal[OutputFormat.text, OutputFormat.concise, OutputFormat.json,
                           OutputFormat.github, OutputFormat.sarif]


DIAGNOSTIC_FORMAT_HELP = ("text (the source with carets), concise (one `path:line:col` line "
                          "each), json, github (workflow annotations) or sarif (SARIF 2.1.0).")

# ---- the recipe variables ------------------------------------------------------------------

VarOption = Annotated[
    Optional[list[str]],
    typer.Option("--var", metavar="NAME=VALUE",
                 help="Override a recipe variable; repeat the option for several. VALUE "
                      "becomes a number when it parses as one, as in SparseML's recipe_args."),
]
VarsOption = Annotated[
    Optional[str],
    typer.Option("--vars", metavar="JSON",
                 help="Override several variables at once: a JSON object, or SparseML's "
                      "comma-separated key=value,key=value form."),
]

TargetOption = Annotated[
    Optional[str],
    typer.Option("--target", metavar="LIBRARY",                  help="The library that runs stage recipes: `sparseml` (SparseML 1.8) or "
                      "`llmcompressor` (llm-compressor 0.14); default: `target` in the "
                      "configuration, else inferred from the recipe."),
]

StageOption = Annotated[
    Optional[str],
    typer.Option("--stage", metavar="NAME",
                 help="Only this stage of a stage recipe, selected as the library selects "
                      "it when told `stage=NAME`: llm-compressor 0.14 keeps the top-level "
                      "keys that start with NAME, SparseML 1.8 the stage named exactly NAME "
                      "(`quant` for `quant_stage`). The other stages are read but not "
                      "evaluated or created. An error when it selects no stage, or for a "
                      "classic recipe."),
]

# ---- output ----------------------------------------------------------------------------------

ColorOption = Annotated[
    Optional[bool],
    typer.Option("--color/--no-color",
                 help="Force or disable colours. By default colours are on only on a "
                      "terminal, and NO_COLOR or FORCE_COLOR in the environment decide."),
]


#: `--force` of the commands that rewrite recipe files in place (scale, format, lint --fix)
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Write even read-only files (their mode is kept) or into read-only "
                    "directories, and write hard-linked files in place (every link gets the "
                    "new text; that write is not atomic).")]


def quiet_option(help: str) -> typer.models.OptionInfo:
    """`-q/--quiet`: print less (what is left is the command's to say)."""
    return typer.Option("--quiet", "-q", help=help)


QuietOption = Annotated[bool, quiet_option(
    "Print only the summary line; the exit code tells the rest (text and concise formats).")]


def output_option(help: str, metavar: str = "FILE") -> typer.models.OptionInfo:
    """`-o/--output FILE` with a command's own help text."""
    return typer.Option("--output", "-o", metavar=metavar, help=help)


DiagnosticFormatOption = Annotated[
    DiagnosticFormat, typer.Option("--format", "-f", metavar="FORMAT",
                                   help=DIAGNOSTIC_FORMAT_HELP)]


def format_option(help: str = "Output format.") -> typer.models.OptionInfo:
    """`-f/--format` for the commands whose output is not diagnostics; the annotation is a
    `Literal` of the :class:`OutputFormat` members the command accepts."""
    return typer.Option("--format", "-f", help=help)


# ---- input -----------------------------------------------------------------------------------

STDIN = "-"

StdinFilenameOption = Annotated[
    Optional[str],
    typer.Option("--stdin-filename", metavar="NAME",
                 help="The file name of the recipe read from `-` (standard input): used in "
                      "positions, to find the configuration, and `.md` means a Markdown "
                      "recipe card."),
]
JobsOption = Annotated[
    Optional[int],
    typer.Option("--jobs", "-j", metavar="N", min=1,
                 help="Worker processes for many files, at least 1. Default: one per CPU "
                      "when there are enough files."),
]
StepsPerEpochOption = Annotated[
    Optional[int],
    typer.Option("--steps-per-epoch", metavar="N", min=1,
                 help="Optimizer steps (batches) per epoch, at least 1. Default: "
                      "`steps-per-epoch` from the configuration file, else 1."),
]


def model_option(purpose: str) -> typer.models.OptionInfo:
    """`--model FILE`: a model whose parameter names the command uses (for `purpose`)."""
    return typer.Option("--model", metavar="FILE",
                        help="An .onnx model, a torch state_dict, a text file of parameter "
                             "names, or a Hugging Face model directory (config.json and "
                             f"safetensors headers): {purpose}.")
DiffOption = Annotated[
    bool, typer.Option("--diff", help="Print the changes as a unified diff; nothing is "
                                      "written.")]


def epochs_option(help: str, **checks: float) -> typer.models.OptionInfo:
    """`-e/--epochs EPOCHS` (a training length in epochs); `checks`: min/max."""
    return typer.Option("--epochs", "-e", metavar="EPOCHS", help=help, **checks)
