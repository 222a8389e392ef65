"""The diagnostic codes the recipe core (reading, parsing, variables, models) emits.

Codes are `RS` + three digits, grouped by family (see docs/rules/index.md):
0xx file form and YAML, 1xx structure, 2xx field values, 3xx variables and `eval`,
4xx schedule vs training length, 5xx pruning, 6xx quantization, 7xx learning rate,
8xx model-aware, 9xx style and meta. Lint rules (``recipe_studio.lint.rules``) add their own
codes to the same registry; a code is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from recipe_studio.diagnostics import START, Diagnostic, Fix, Related, Severity, Span


@dataclass(frozen=True)
class Code:
    """A diagnostic code emitted by the recipe core (not by a lint rule)."""

    code: str
    name: str
    severity: Severity
    summary: str
    sparseml: str = ""

    def diag(
        self,
        message: str,
        span: Span | None = None,
        *,
        help: str | None = None,
        fix: Fix | None = None,
        related: tuple[Related, ...] | list[Related] = (),
        severity: Severity | None = None,
        path: str | None = None,
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            span=span or START,
            path=path,
            help=help,
            fix=fix,
            related=tuple(related),
        )

    @property
    def load_error(self) -> bool:
        """Whether the code reports that SparseML cannot load the recipe (see
        :func:`is_load_error`)."""
        return self.severity is Severity.ERROR


def is_load_error(diagnostic: Diagnostic) -> bool:
    """The one definition of a load-level error: a diagnostic of an error-severity loader
    code (:attr:`Code.load_error`), reported as an error.

    These are exactly the diagnostics that make :attr:`Recipe.ok` false and `validate`
    exit 1 (SparseML cannot load the recipe, or — RS005 with differing values — recipe-studio
    deliberately refuses it; the tests check the equivalence over the corpus and every rule
    case). `lint` always reports them: no suppression comment, `ignore`/`select`/
    `per-file-ignores`/`severity` setting or `--ignore`/`--select` option hides or
    downgrades them, and `--exit-zero` does not apply to them. A loader warning a
    configuration raises to an error (`severity = { RS007 = "error" }`) is not one.
    """
    return diagnostic.severity is Severity.ERROR and diagnostic.code in LOAD_ERROR_CODES


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# 0xx: file form and YAML --------------------------------------------------------------
FILE_UNREADABLE = Code("RS001", "file-unreadable", E,
    "The file does not exist, is a directory or cannot be read.",
    "FileNotFoundError / IsADirectoryError before anything is parsed.")
FILE_TOO_LARGE = Code("RS002", "file-too-large", E,
    "The file is larger than recipe-studio's size limit for a recipe.",
    "Reads the whole file; no limit.")
FILE_NOT_TEXT = Code("RS003", "file-not-text", E,
    "The file is binary or not valid UTF-8.",
    "UnicodeDecodeError or a PyYAML reader error without a useful location.")
YAML_SYNTAX = Code("RS004", "yaml-syntax-error", E,
    "The YAML cannot be parsed (indentation, tabs, unclosed brackets, bad aliases...).",
    "PyYAML error with a line/column of its internally rewritten text.")
DUPLICATE_KEY = Code("RS005", "duplicate-key", E,
    "A mapping has the same key twice.",
    "PyYAML silently keeps the last value; a second `modifiers:` drops the first list.")
NO_FRONT_MATTER = Code("RS006", "front-matter-missing", E,
    "A Markdown recipe card has no `---` front matter.",
    "RuntimeError: Could not extract YAML front matter from recipe card.")
YML_EXTENSION = Code("RS007", "yml-extension", W,
    "The recipe file ends in `.yml`.",
    "ValueError: Unsupported file extension for recipe. Excepted '.md' or '.yaml'.")
MULTIPLE_DOCUMENTS = Code("RS008", "multiple-documents", E,
    "The YAML stream holds more than one document.",
    "ComposerError: expected a single document in the stream.")
ALIAS_BOMB = Code("RS009", "alias-expansion-too-large", E,
    "Aliases expand to an enormous (or recursive) structure.",
    "Expands aliases while evaluating modifier fields: memory and time blow up.")
TAG_NOT_REWRITTEN = Code("RS010", "tag-not-rewritten", E,
    "SparseML's tag rewrite skips this tag because a `.` follows it on the same line.",
    "ConstructorError: could not determine a constructor for the tag.")
TAG_REWRITE_BREAKS_YAML = Code("RS011", "tag-rewrite-breaks-yaml", E,
    "SparseML's text rewrite of `!Tag` into `OBJECT.Tag:` turns this line into invalid YAML.",
    "ScannerError / ParserError from the rewritten text.")
PYTORCH_TAG = Code("RS012", "explicit-pytorch-tag", E,
    "An explicit `!pytorch.Name` tag in a recipe mapping.",
    "The class-less parse constructs the object and the re-dump fails with a "
    "`python/object` ConstructorError.")
TOO_DEEP = Code("RS013", "nesting-too-deep", E,
    "The YAML nests deeper than recipe-studio's limit.",
    "RecursionError deep inside PyYAML.")
EMPTY_RECIPE = Code("RS014", "empty-recipe", E,
    "The recipe is empty.",
    "ValueError/TypeError: nothing to load.")
YAML_TAG_REWRITTEN = Code("RS015", "yaml-tag-rewritten", E,
    "A YAML tag such as `!!float` that SparseML's text rewrite turns into `!OBJECT.float:`.",
    "ConstructorError: could not determine a constructor for the tag '!OBJECT.float:'.")

# 1xx: structure ------------------------------------------------------------------------
UNKNOWN_MODIFIER = Code("RS101", "unknown-modifier", E,
    "The tag names no SparseML 1.8 PyTorch modifier.",
    "ConstructorError: could not determine a constructor for the tag '!pytorch.<Name>'.")
UNKNOWN_FIELD = Code("RS102", "unknown-field", E,
    "The modifier has a field its SparseML class does not accept.",
    "TypeError: __init__() got an unexpected keyword argument (RigL drops it silently).")
MISSING_FIELD = Code("RS103", "missing-field", E,
    "A required field of the modifier is missing.",
    "TypeError: __init__() missing 1 required positional argument.")
NO_MODIFIERS = Code("RS104", "no-modifiers", E,
    "No modifiers were found (no top-level key containing `modifiers`, or empty lists).",
    "ValueError: Unable to find any modifiers in given recipe.")
MODIFIER_OUTSIDE_LIST = Code("RS105", "modifier-outside-modifiers-list", E,
    "A list of modifiers sits under a key without `modifiers` in its name.",
    "ValueError: Invalid modifier location.")
ROOT_NOT_MAPPING = Code("RS106", "root-not-mapping", E,
    "The recipe document is a list or a scalar instead of a mapping.",
    "AttributeError: 'list' object has no attribute 'items' (or a similar crash).")
STAGED_UNSUPPORTED = Code("RS107", "new-style-recipe-unsupported", E,
    "Modifier mappings (`Modifier: {...}`, the stage-recipe form) under a key that makes the "
    "file neither a classic recipe nor a stage recipe (no `*_stage` / `*_modifiers` key holds "
    "them): no library reads them.",
    "The classic ScheduledModifierManager finds no modifiers in it; SparseML 1.8's and "
    "llm-compressor 0.14's stage readers find no stage.")
NOT_A_MODIFIER = Code("RS108", "not-a-modifier", E,
    "An item of a modifier list is not a tagged modifier.",
    "Accepted at load; AttributeError later at modify or when `max_epochs` is read.")
STAGE_METADATA = Code("RS109", "stage-metadata-inconsistent", E,
    "Some stages carry `__metadata__` and others do not.",
    "ValueError: some stages ... contain metadata and some do not.")
NON_STRING_KEY = Code("RS110", "non-string-top-level-key", E,
    "A top-level key is not a string.",
    "TypeError: argument of type 'int' is not iterable.")
MIXED_FORMS = Code("RS111", "stage-ignored", W,
    "A recipe with top-level modifier lists and a stage: the stage is dropped.",
    "Evaluates the recipe as staged but collects only the top-level lists; the stage's "
    "modifiers silently vanish.")

# 2xx: field values ---------------------------------------------------------------------
INVALID_TYPE = Code("RS201", "invalid-type", E,
    "A field has a value of the wrong type.",
    "TypeError/ValueError from the modifier constructor, without a location.")
OUT_OF_RANGE = Code("RS202", "value-out-of-range", E,
    "A field's value is outside the range SparseML accepts.",
    "ValueError from the modifier constructor, without a location.")
INVALID_CHOICE = Code("RS203", "invalid-choice", E,
    "A field's value is not one of the allowed values.",
    "ValueError/AssertionError from the modifier constructor.")
INVALID_SCHEDULE = Code("RS204", "invalid-schedule", E,
    "Epochs are inconsistent (start < -1, end before start, update_frequency < -1...).",
    "ValueError from validate_schedule, without a location.")
INVALID_PARAMS = Code("RS205", "invalid-params", E,
    "A `params`/`layers` value is a string other than `__ALL__` / `__ALL_PRUNABLE__`.",
    "ValueError: unsupported string (...) given in <Class> for params.")

# 3xx: variables and eval ---------------------------------------------------------------
UNDEFINED_VARIABLE = Code("RS301", "undefined-variable", E,
    "An `eval(...)` expression uses a name that is not a numeric variable.",
    "UnknownVariableException or 'Unable to evaluate expression', naming neither field nor line.")
VARIABLE_CYCLE = Code("RS302", "variable-cycle", E,
    "Variables depend on each other in a cycle.",
    "RuntimeError: Unable to evaluate expression ... form a cycle or are not defined.")
UNSUPPORTED_EVAL = Code("RS303", "unsupported-eval-syntax", E,
    "An `eval(...)` expression uses syntax SparseML's restricted evaluator rejects.",
    "RuntimeError: Unsupported AST node type / function name / operator.")
EVAL_LIMIT = Code("RS304", "eval-limit-exceeded", E,
    "An `eval(...)` expression is too long, too deep, or produces a huge number.",
    "Computes it regardless: `eval(10**10**8)` runs ~6.5 minutes before failing.")
EVAL_ARITHMETIC = Code("RS305", "eval-arithmetic-error", E,
    "An `eval(...)` expression divides by zero or overflows.",
    "ZeroDivisionError / OverflowError, without a location.")
EVAL_NOT_NUMBER = Code("RS306", "eval-not-a-number", E,
    "An `eval(...)` expression does not produce an int or float.",
    "RuntimeError: eval expressions in recipes must evaluate to a float or int.")
UNARY_MINUS = Code("RS307", "eval-unary-minus", E,
    "An `eval(...)` expression uses unary minus (`-x`).",
    "AttributeError: 'UnaryOp' object has no attribute 'left' (a crash).")
UNKNOWN_OVERRIDE = Code("RS308", "unknown-override", E,
    "A `--var`/`--vars` override names a variable the recipe does not define.",
    "ValueError: updating recipe variable <k> but <k> is not currently set.")
INVALID_OVERRIDE = Code("RS309", "invalid-override", E,
    "A `--var`/`--vars` override cannot be parsed.",
    "ValueError: Improper key=val given in csv for recipe variables.")
EVAL_IGNORED_TEXT = Code("RS310", "eval-ignored-statements", W,
    "An `eval(...)` expression has more than one statement; all but the first are ignored.",
    "Evaluates only the first statement (`1; x` is 1).")

# 9xx: meta ---------------------------------------------------------------------------
INTERNAL = Code("RS999", "internal-error", W,
    "recipe-studio itself failed on this recipe (a bug: please report it).",
    "Not applicable.")

# appended (codes are never reused) ----------------------------------------------------
NOT_A_RECIPE = Code("RS016", "not-a-recipe", E,
    "The file is plainly not a SparseML recipe (a README, a `pyproject.toml`, another "
    "tool's YAML).",
    "Fails with whatever the text happens to produce: a YAML error, \"Unable to find any "
    "modifiers\", a crash on a non-mapping root or a refused extension.")

# stage recipes (sparseml.core / llm-compressor; issue 12): 13x structure, 22x values, 32x eval
STAGE_UNKNOWN_MODIFIER = Code("RS130", "stage-unknown-modifier", E,
    "A stage recipe names a modifier the target library does not register.",
    "ValueError: No modifier of type '<Name>' found (SparseML 1.8 and llm-compressor 0.14 alike).")
STAGE_UNKNOWN_FIELD = Code("RS131", "stage-unknown-field", E,
    "A stage-recipe modifier has a field its class does not declare (an error for "
    "llm-compressor, a warning for SparseML, which drops it).",
    "SparseML 1.8 silently ignores it; llm-compressor 0.14 fails with `extra_forbidden`.")
STAGE_MISSING_FIELD = Code("RS132", "stage-missing-field", E,
    "A required field of a stage-recipe modifier is missing.",
    "ValidationError: Field required, naming the class but not the line.")
STAGE_STRUCTURE = Code("RS133", "stage-structure-error", E,
    "A stage, modifier group or modifier entry has a shape the target library's loader "
    "crashes on (a list where a mapping belongs, empty arguments, modifiers outside a stage, "
    "a `group` argument...).",
    "KeyError / TypeError / AttributeError / ValueError from the recipe parser, without a "
    "location.")
STAGE_IGNORED = Code("RS134", "stage-key-ignored", W,
    "A key of a stage recipe that the target library silently ignores (a stage without the "
    "`_stage` suffix, modifiers outside a `*_modifiers` group, keys it never reads).",
    "Loads without a word; the modifiers under the key never run.")
STAGE_TARGET = Code("RS135", "stage-target-inferred", I,
    "Which library a stage recipe is for was inferred, or could not be told; says which one "
    "the recipe was checked against.",
    "Not applicable: the file does not say which library will run it.")
STAGE_RECIPE_RULE = Code("RS136", "stage-recipe-invalid", E,
    "A rule the library checks on the whole stage recipe fails (llm-compressor: an "
    "`AWQModifier` needs a quantization modifier after it).",
    "ValueError from `Recipe.validate_model_after` (llm-compressor 0.14).")
STAGE_INVALID_VALUE = Code("RS220", "stage-invalid-value", E,
    "A stage-recipe modifier field has a value of the wrong type, or one the library's "
    "validators reject (schemes, quantization arguments, enums).",
    "ValidationError naming the class and field path, without a line.")
STAGE_EVAL = Code("RS320", "stage-eval-error", E,
    "An `eval(...)` in a stage recipe fails in SparseML 1.8 (undefined name, parentheses, "
    "unsupported syntax); llm-compressor never evaluates it.",
    "NameError / ValueError: invalid eval string, from Python's own `eval`.")

# recipes written in Python (issue 13): 14x
PYTHON_NOT_STATIC = Code("RS017", "python-not-static", I,
    "An argument of a modifier built in a Python script is not a literal (a function's result, "
    "`**kwargs`, an f-string with names, a name assigned more than once): recipe-studio skips "
    "it and says so, instead of guessing its value.",
    "Not applicable: the script computes the value when it runs.")
PYTHON_SYNTAX = Code("RS018", "python-syntax-error", E,
    "A Python script given to recipe-studio does not parse, so no recipe in it can be read.",
    "Python stops with a SyntaxError before any modifier is built.")

LOADER_CODES: tuple[Code, ...] = tuple(
    v for v in globals().values() if isinstance(v, Code)
)
BY_CODE: dict[str, Code] = {c.code: c for c in LOADER_CODES}
BY_NAME: dict[str, Code] = {c.name: c for c in LOADER_CODES}
#: codes whose diagnostics are load-level errors (RS005 also comes as a warning when both
#: values are equal; only its error form is a load error)
LOAD_ERROR_CODES: frozenset[str] = frozenset(c.code for c in LOADER_CODES if c.load_error)
#: codes that are load errors whenever reported (RS005 also comes as a suppressible warning):
#: an `ignore` entry or a suppression naming only these can never do anything
ALWAYS_LOAD_ERROR_CODES: frozenset[str] = LOAD_ERROR_CODES - {DUPLICATE_KEY.code}
