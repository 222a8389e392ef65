"""A one-shot W8A8 script as llm-compressor users write it (recipe-studio reads it, never runs it)."""

from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import GPTQModifier
from llmcompressor.modifiers.smoothquant import SmoothQuantModifier

MODEL_ID = "meta-llama/Meta-Llama-3-8B-Instruct"
IGNORE = ["lm_head"]


def main(args):
    recipe = [
        SmoothQuantModifier(smoothing_strenght=0.8),
        GPTQModifier(targets="Linear", scheme="W8A8", ignore=IGNORE,
                     dampening_frac=args.dampening),
    ]
    oneshot(model=MODEL_ID, dataset="open_platypus", recipe=recipe,
            max_seq_length=2048, num_calibration_samples=512)
