"""``python -m recipe_studio.judges``: run the judges from the command line.

    judge LIBRARY PATH...     one JSON object per recipe (LIBRARY: sparseml | llmcompressor)
    dump LIBRARY [-o FILE]    the introspection dump (regenerates recipe_studio/judges/data/)
    corpus                    both judges over the corpus's stage recipes: attribution tables,
                              and the SparseML parse compared with expected.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import runner

DATA = Path(__file__).resolve().parent / "data"


def dump_path(library: str) -> Path:
    return DATA / f"{library}.json"


def dump_text(library: str) -> str:
    return json.dumps(runner.dump(library), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe_studio.judges")
    sub = parser.add_subparsers(dest="command", required=True)
    j = sub.add_parser("judge")
    j.add_argument("library", choices=runner.LIBRARIES)
    j.add_argument("paths", nargs="+")
    j.add_argument("--timeout", type=float, default=60.0)
    j.add_argument("--target-stage")
    d = sub.add_parser("dump")
    d.add_argument("library", choices=runner.LIBRARIES)
    d.add_argument("-o", "--output", help="file to write (default: stdout); `data` = the committed dump")
    sub.add_parser("corpus")
    args = parser.parse_args(argv)

    if args.command == "judge":
        kw = {"timeout": args.timeout}
        if args.target_stage:
            kw["target_stage"] = args.target_stage
        for v in runner.judge(args.library, args.paths, **kw):
            print(json.dumps({"path": v.path, "ok": v.ok, "phase": v.phase, "error": v.error,
                              **{k: v.record[k] for k in ("recipe", "stages", "stage", "args", "modifiers")
                                 if k in v.record}}, sort_keys=True))
        return 0
    if args.command == "dump":
        text = dump_text(args.library)
        if args.output:
            out = dump_path(args.library) if args.output == "data" else Path(args.output)
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    from . import corpus

    root = corpus.corpus_root()
    if root is None:
        print(f"no corpus: set ${corpus.CORPUS_ENV} or put it at ../shared/corpus", file=sys.stderr)
        return 2
    rows = corpus.attribute(root)
    print(corpus.report(rows))
    expected = corpus.expected_staged(root)
    bad = {r.file: corpus.compare_with_expected(expected[r.file], r.sparseml) for r in rows}
    bad = {k: v for k, v in bad.items() if v}
    print(f"\nSparseML judge's parse vs expected.json: {len(rows) - len(bad)} of {len(rows)} agree")
    for name, diffs in bad.items():
        print(f"  {name}: " + "; ".join(diffs))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
