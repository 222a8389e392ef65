"""`recipe-studio oneshot`: llm-compressor's one-shot run, checked against what it saved.

The run happens in llm-compressor 0.14's own environment (``.venv-llmc``, or
``$RECIPE_STUDIO_LLMC_PYTHON``; :func:`recipe_studio.judges.python_for`) as a child process
running ``worker.py``; its stdout/stderr (loguru, progress bars, warnings) go to a log file,
and JSON events come back on a pipe. Nothing here imports torch or llm-compressor.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from recipe_studio.oneshot.checkpoint import Checkpoint, CheckpointError, inspect

WORKER = Path(__file__).resolve().parent / "worker.py"
#: calibration defaults: enough for GPTQ's Hessians on the tiny model, seconds on 2 cores
SAMPLES, SEQ_LEN, SEED = 16, 64, 0
#: measured sparsity may fall short of the asked one by this much (rounding to blocks)
SPARSITY_TOLERANCE = 0.02


class OneshotError(RuntimeError):
    """llm-compressor's environment is missing, or the child failed (message, log path)."""

    def __init__(self, message: str, log: str | None = None):
        super().__init__(message)
        self.log = log


class OneshotUnavailable(OneshotError):
    """llm-compressor's environment is missing (a usage error for the command)."""


@dataclass
class Check:
    what: str
    asked: str
    held: str
    ok: bool | None  # None: reported, nothing to compare


@dataclass
class OneshotReport:
    recipe: str
    model: str
    out: str
    log: str
    calibration: dict
    seconds: float
    phases: list[dict]
    asked: list[dict]
    checkpoint: Checkpoint
    dense_bytes: int
    progress: dict
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def to_json(self) -> dict:
        return {
            "recipe": self.recipe, "model": self.model, "out": self.out, "log": self.log,
            "calibration": self.calibration, "seconds": self.seconds, "phases": self.phases,
            "asked": self.asked, "progress": self.progress,
            "bytes": {"dense": self.dense_bytes, "compressed": self.checkpoint.safetensors_bytes,
                      "ratio": round(self.dense_bytes / self.checkpoint.safetensors_bytes, 3)
                      if self.checkpoint.safetensors_bytes else None},
            "checks": [vars(c) for c in self.checks], "ok": self.ok,
            "checkpoint": self.checkpoint.to_json(),
        }


def _python() -> str:
    from recipe_studio.judges import JudgeUnavailable, available, python_for

    try:
        python = python_for("llmcompressor")
    except JudgeUnavailable as e:
        raise OneshotUnavailable(str(e)) from None
    why = available("llmcompressor")
    if why:
        raise OneshotUnavailable(why)
    return python


def _env() -> dict:
    from recipe_studio.judges.runner import _env as judge_env

    return {**judge_env(), "PYTHONWARNINGS": "default"}


def _child(request: dict, *, log: str | None, timeout: float,
           on_event: Callable[[dict], None]) -> dict:
    """Run the worker; return its `done` event (OneshotError on `error`, a crash or timeout)."""
    python = _python()
    request = {**request, "log": log}
    with tempfile.TemporaryDirectory(prefix="rs-oneshot-") as cwd:
        proc = subprocess.Popen([python, str(WORKER)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                env=_env(), text=True)
        assert proc.stdin and proc.stdout
        proc.stdin.write(json.dumps(request))
        proc.stdin.close()
        deadline = time.monotonic() + timeout
        done = None
        try:
            import selectors

            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise OneshotError(f"llm-compressor did not finish within {timeout:g} s "
                                       "(killed)", log)
                line = proc.stdout.readline()
                if not line:
                    break
                event = json.loads(line)
                if event.get("event") == "error":
                    first = (event.get("message") or "").strip().splitlines()
                    raise OneshotError(f"llm-compressor failed: {event['type']}: "
                                       f"{first[0] if first else ''}", log)
                if event.get("event") == "done":
                    done = event
                on_event(event)
        finally:
            if proc.poll() is None:
                proc.kill()
            err = proc.stderr.read() if proc.stderr else ""
            proc.wait()
        if done is None:
            tail = err.strip()[-1500:] or "(see the log)"
            raise OneshotError(f"llm-compressor's process died (exit status {proc.returncode}): "
                               f"{tail}", log)
        return done


def tiny_model(out: str | os.PathLike[str], *, layers: int = 2, hidden: int = 256,
               vocab: int = 512, seed: int = 0, timeout: float = 600.0) -> dict:
    """Write a tiny Llama-architecture model to `out`: random weights (bfloat16) from a config
    built in code, and a word-level tokenizer built with `tokenizers` (no download). Runs in
    llm-compressor's environment, which has torch and transformers. Returns its facts
    (`parameters`, `layers`, `hidden_size`, `vocab_size`)."""
    Path(out).mkdir(parents=True, exist_ok=True)
    done = _child({"mode": "tiny", "out": str(Path(out).resolve()), "layers": layers,
                   "hidden": hidden, "vocab": vocab, "seed": seed},
                  log=None, timeout=timeout, on_event=lambda e: None)
    return {k: done[k] for k in ("parameters", "layers", "hidden_size", "vocab_size")}


def run(recipe: str | os.PathLike[str], model: str | os.PathLike[str],
        out: str | os.PathLike[str], *, samples: int = SAMPLES, seq_len: int = SEQ_LEN,
        seed: int = SEED, timeout: float = 3600.0, log: str | os.PathLike[str] | None = None,
        say: Callable[[str], None] | None = None, stage: str | None = None) -> OneshotReport:
    """llm-compressor's `oneshot` with `recipe` on the model directory `model`, saving the
    compressed checkpoint to `out`; then what it holds, checked against what was asked.

    Does not lint (the command does that first). `stage`: `oneshot(stage=...)`, the
    stages whose key starts with it (llm-compressor then saves to `out/<stage>`). The child's output goes to `log`
    (default `<output>/oneshot.log`)."""
    say = say or (lambda _line: None)
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = Path(log).resolve() if log else out_dir / "oneshot.log"
    log_path.write_text("")
    phases: list[dict] = []
    asked: list[dict] = []
    started = time.perf_counter()

    def on_event(event: dict) -> None:
        if event.get("event") == "phase":
            phases.append({"phase": event["phase"], "seconds": event["seconds"]})
            detail = f": {event['detail']}" if event.get("detail") else ""
            say(f"[oneshot {event['seconds']:5.1f} s] {event['phase']}{detail}")
        elif event.get("event") == "asked":
            asked.extend(event["modifiers"])

    calibration = {"samples": samples, "seq_len": seq_len, "seed": seed,
                   "kind": "synthetic token ids, uniform over the vocabulary"}
    _child({"mode": "oneshot", "model": str(Path(model).resolve()),
            "recipe": str(Path(recipe).resolve()), "out": str(out_dir), "samples": samples,
            "seq_len": seq_len, "seed": seed, "log_dir": str(out_dir / "logs"),
            "stage": stage},
           log=str(log_path), timeout=timeout, on_event=on_event)
    seconds = round(time.perf_counter() - started, 2)
    progress = summarise_log(log_path.read_text(errors="replace"))
    shown_log = str(log) if log else os.path.join(str(out), "oneshot.log")
    # with a stage, llm-compressor saves to `<output_dir>/<stage>` (entrypoints/utils.py
    # post_process: "[Save] Stage detected. Updating output_dir")
    saved = out_dir / stage if stage else out_dir
    shown = os.path.join(str(out), stage) if stage else str(out)
    say(f"[oneshot {seconds:5.1f} s] saved to {shown} ({_progress_text(progress)}); "
        f"log: {shown_log}")
    try:
        checkpoint = inspect(saved)
    except CheckpointError as e:  # the run ended without saving a model where it says
        raise OneshotError(f"llm-compressor finished but {shown} holds no checkpoint: {e}",
                           shown_log) from None
    dense = sum(p.stat().st_size for p in Path(model).glob("*.safetensors"))
    report = OneshotReport(str(recipe), str(model), str(saved), str(log_path), calibration,
                           seconds, phases, asked, checkpoint, dense, progress)
    report.checks = compare(asked, checkpoint, dense)
    return report


def summarise_log(text: str) -> dict:
    """What llm-compressor's log says it did: modules sparsified and quantized, GPTQ's errors,
    warnings."""
    errors = [float(m) for m in re.findall(r"GPTQ \| METRIC - error ([0-9.eE+-]+)", text)]
    quantized = sum(len(re.findall(r"'[^']+'", m)) for m in
                    re.findall(r"Quantizing \d+ module\(s\): \[([^\]]*)\]", text))
    return {"sparsified": len(re.findall(r"\| INFO - Sparsifying ", text)),
            "quantized": quantized,
            "gptq_error_max": max(errors) if errors else None,
            "warnings": len(re.findall(r"\| WARNING - ", text))}


def _progress_text(p: dict) -> str:
    parts = []
    if p["sparsified"]:
        parts.append(f"{p['sparsified']} modules sparsified")
    if p["quantized"]:
        parts.append(f"{p['quantized']} quantized by GPTQ")
    if p["gptq_error_max"] is not None:
        parts.append(f"max GPTQ error {p['gptq_error_max']:.3g}")
    return ", ".join(parts) or "no module reported"


# ------------------------------------------------------------------ asked vs held

def matches(module: str, target: str, storage: str = "") -> bool:
    """compressed-tensors' target matching, for the names a checkpoint holds: `re:` a regex
    (`re.match`), `Linear` any 2-D weight but embeddings, else the name or its last parts."""
    if target.startswith("re:"):
        return re.match(target[3:], module) is not None
    if target == "Linear":
        return "embed" not in module
    return module == target or module.endswith("." + target)


def _targeted(ck: Checkpoint, entry: dict) -> list:
    targets = entry.get("targets") or ["Linear"]
    targets = [targets] if isinstance(targets, str) else targets
    ignore = entry.get("ignore") or []
    return [lw for lw in ck.layers if any(matches(lw.module, t) for t in targets)
            and not any(matches(lw.module, i) for i in ignore)]


def _scheme_text(args: dict | None) -> str:
    if not args:
        return "none"
    text = f"{args.get('type')}{args.get('num_bits')} {args.get('strategy')}"
    if args.get("group_size"):
        text += f" g{args['group_size']}"
    text += " sym" if args.get("symmetric") else " asym"
    if args.get("dynamic"):
        text += " dynamic"
    return text


WEIGHT_KEYS = ("type", "num_bits", "strategy", "group_size", "symmetric")


def compare(asked: list[dict], ck: Checkpoint, dense_bytes: int) -> list[Check]:
    checks: list[Check] = []
    q = ck.quantization
    held_groups = list(q.groups.values()) if q else []
    for entry in asked:
        qc = entry.get("quantization")
        if qc:
            name = entry.get("scheme") if isinstance(entry.get("scheme"), str) else "config_groups"
            for gname, group in (qc.get("config_groups") or {}).items():
                held = next((g for g in held_groups if g.get("targets") == group.get("targets")),
                            held_groups[0] if len(held_groups) == 1 else None)
                for part in ("weights", "input_activations"):
                    a = group.get(part)
                    h = held.get(part) if held else None
                    if a is None and h is None:
                        continue
                    same = bool(a and h and all(a.get(k) == h.get(k) for k in WEIGHT_KEYS))
                    checks.append(Check(f"{entry['type']} {name}: {part.replace('_', ' ')}",
                                        _scheme_text(a), _scheme_text(h), same))
            layers = _targeted(ck, entry)
            stored = [lw for lw in layers if not lw.storage.startswith("dense")]
            checks.append(Check(f"{entry['type']}: targeted layers stored quantized",
                                f"{len(layers)} layers", f"{len(stored)} "
                                f"({', '.join(sorted({lw.storage for lw in stored})) or 'none'})",
                                len(stored) == len(layers) and bool(layers)))
            ignore = list(entry.get("ignore") or [])
            if ignore:
                kept = [i for i in ignore if q and i in q.ignore]
                dense = [lw.module for lw in ck.layers if any(matches(lw.module, i) for i in ignore)
                         and lw.storage.startswith("dense")]
                checks.append(Check(f"{entry['type']}: ignored modules",
                                    ", ".join(ignore), f"{', '.join(q.ignore) if q else 'none'} "
                                    f"in config.json; {len(dense)} left dense",
                                    len(kept) == len(ignore)))
        if entry.get("sparsity") is not None:
            want = float(entry["sparsity"])
            layers = [lw for lw in _targeted(ck, entry) if lw.sparsity is not None]
            got = [lw.sparsity for lw in layers]
            if got:
                mean = sum(lw.zeros for lw in layers) / sum(lw.elements for lw in layers)
                held = f"{mean:.1%} over {len(layers)} layers ({min(got):.1%}-{max(got):.1%})"
            else:
                mean, held = 0.0, "no targeted layer measured"
            checks.append(Check(f"{entry['type']}: sparsity", f"{want:.1%}", held,
                                bool(got) and mean >= want - SPARSITY_TOLERANCE))
            mask = entry.get("mask_structure")
            if mask == "2:4":
                blocks = [lw.blocks_2of4 for lw in layers if lw.blocks_2of4 is not None]
                checks.append(Check(f"{entry['type']}: 2:4 blocks (>= 2 zeros in 4)", "100%",
                                    f"{min(blocks):.1%}-{max(blocks):.1%}" if blocks else "-",
                                    bool(blocks) and min(blocks) >= 0.999))
            sc = q.sparsity if q else {}
            checks.append(Check("sparsity_config in config.json", f"{mask or 'unstructured'}",
                                f"{sc.get('format')} {sc.get('sparsity_structure')}" if sc
                                else "none written", None))
    if q is not None:
        checks.append(Check("format in config.json", "-", f"{q.format} ({q.status})", None))
    size = ck.safetensors_bytes
    checks.append(Check("safetensors bytes: dense -> saved", f"{dense_bytes:,}",
                        f"{size:,} ({dense_bytes / size:.2f}x smaller)" if size else "-", None))
    return checks


def format_table(report: OneshotReport) -> str:
    rows = [("check", "recipe asked", "checkpoint holds", "")]
    for c in report.checks:
        rows.append((c.what, c.asked, c.held, {True: "held", False: "NOT HELD", None: ""}[c.ok]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    cal = report.calibration
    lines.append(f"one-shot in {report.seconds:.0f} s on {cal['samples']} synthetic samples x "
                 f"{cal['seq_len']} tokens (seed {cal['seed']}); {_progress_text(report.progress)}")
    return "\n".join(lines)
