"""The table of commands, a leaf: `cli` registers them, `cli.help` lists them."""

# command name -> the module that registers it on `app`, in the order `--help` lists them
COMMANDS = {
    "validate": "validate", "lint": "lint", "finalize": "finalize", "rule": "rule",
    "show": "show", "plot": "plot", "scale": "scale", "diff": "diff", "new": "new",
    "format": "format", "schema": "schema", "lsp": "lsp", "train": "train", "bench": "bench",
    "stubs": "stubs", "oneshot": "oneshot",
}
