"""The child half of `recipe-studio oneshot`: run with llm-compressor 0.14's interpreter.

Standalone (stdlib at import; torch, transformers, datasets and llmcompressor inside the
functions). Reads one JSON request from stdin and writes JSON events, one per line, to the
*original* stdout; file descriptors 1 and 2 are pointed at the log file (or stderr) first, so
llm-compressor's loguru sink, warnings and progress bars land in the log, never in the channel.

Requests (``mode``):

* ``tiny``: build a tiny Llama-architecture model with random weights from a config written
  here, a word-level tokenizer built with the `tokenizers` library, and save both to ``out``.
* ``oneshot``: ``llmcompressor.oneshot(model=..., recipe=..., dataset=<synthetic token ids>,
  output_dir=...)``; the calibration set is ``samples`` sequences of ``seq_len`` token ids drawn
  uniformly from the model's vocabulary with ``seed`` (nothing is downloaded).

Events: ``{"event": "phase", "phase": ..., "seconds": ...}`` as it goes, then one
``{"event": "done", ...}`` or ``{"event": "error", "type", "message", "traceback"}``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

STARTED = time.perf_counter()


def _emit(channel, **event) -> None:
    event.setdefault("seconds", round(time.perf_counter() - STARTED, 3))
    channel.write(json.dumps(event) + "\n")
    channel.flush()


def tiny(request: dict, channel) -> dict:
    """The tiny model: ``layers`` decoder layers, ``hidden`` width (default 256, so that the
    W4A16 preset's group size of 128 divides it), ``vocab`` tokens, random weights (``seed``),
    saved in bfloat16 with its tokenizer."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(int(request.get("seed", 0)))
    vocab = int(request.get("vocab", 512))
    hidden = int(request.get("hidden", 256))
    config = LlamaConfig(
        vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
        num_hidden_layers=int(request.get("layers", 2)), num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, tie_word_embeddings=False,
        bos_token_id=1, eos_token_id=2, pad_token_id=3, torch_dtype="bfloat16",
    )
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    words = {w: i for i, w in enumerate(specials + [f"w{i}" for i in range(vocab - len(specials))])}
    tok = Tokenizer(models.WordLevel(vocab=words, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>",
                                   eos_token="</s>", pad_token="<pad>")
    out = request["out"]
    model.save_pretrained(out)
    fast.save_pretrained(out)
    _emit(channel, event="phase", phase="saved")
    return {"parameters": sum(p.numel() for p in model.parameters()),
            "layers": config.num_hidden_layers, "hidden_size": hidden, "vocab_size": vocab}


def oneshot(request: dict, channel) -> dict:
    import torch
    from datasets import Dataset
    from loguru import logger

    _emit(channel, event="phase", phase="importing llmcompressor")
    from llmcompressor import oneshot as run_oneshot
    from transformers import AutoConfig

    asked = _asked(request["recipe"], request.get("stage"))
    _emit(channel, event="asked", modifiers=asked)
    model = request["model"]
    config = AutoConfig.from_pretrained(model)
    vocab = int(config.vocab_size)
    samples, seq_len = int(request["samples"]), int(request["seq_len"])
    generator = torch.Generator().manual_seed(int(request.get("seed", 0)))
    ids = torch.randint(0, vocab, (samples, seq_len), generator=generator).tolist()
    dataset = Dataset.from_dict({"input_ids": ids, "attention_mask": [[1] * seq_len] * samples})
    detail = f"{samples} synthetic samples of {seq_len} token ids (seed {request.get('seed', 0)})"
    _emit(channel, event="phase", phase="calibrating", detail=detail)
    logger.info("recipe-studio: oneshot starts")
    run_oneshot(model=model, recipe=request["recipe"], dataset=dataset,
                num_calibration_samples=samples, max_seq_length=seq_len,
                shuffle_calibration_samples=False, output_dir=request["out"],
                log_dir=request.get("log_dir"), save_compressed=True,
                stage=request.get("stage"))
    return {"vocab_size": vocab, "samples": samples, "seq_len": seq_len}


def _asked(recipe: str, stage: str | None = None) -> list[dict]:
    """What the recipe asks for, as llm-compressor reads it: each modifier's targets, ignore,
    sparsity fields, and the quantization config it resolves (its `scheme` preset expanded)."""
    from llmcompressor.recipe import Recipe

    out = []
    for m in Recipe.create_instance(recipe, target_stage=stage).modifiers:
        entry: dict = {"type": type(m).__name__}
        for name in ("targets", "ignore", "sparsity", "mask_structure", "scheme"):
            value = getattr(m, name, None)
            if value is not None and not callable(value):
                entry[name] = value if isinstance(value, (str, int, float, list)) else repr(value)
        resolve = getattr(m, "resolve_quantization_config", None)
        if callable(resolve) and getattr(m, "has_config", lambda: False)():
            config = resolve()
            entry["quantization"] = json.loads(config.model_dump_json())
        out.append(entry)
    return out


def main() -> None:
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    request = json.loads(sys.stdin.read() or "{}")
    log = request.get("log")
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if log else 2
    os.dup2(target, 1)
    os.dup2(target, 2)
    sys.stdout = sys.stderr = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    mode = request.get("mode")
    try:
        result = {"tiny": tiny, "oneshot": oneshot}[mode](request, channel)
    except BaseException as exc:  # noqa: BLE001 - the error goes to the parent, whatever it is
        traceback.print_exc()
        _emit(channel, event="error", type=type(exc).__name__, message=str(exc)[:4000],
              traceback=traceback.format_exception(exc)[-8:])
        sys.exit(1)
    _emit(channel, event="done", **result)


if __name__ == "__main__":
    main()
