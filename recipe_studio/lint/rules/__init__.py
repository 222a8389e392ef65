"""The lint rules, one module per rule in a folder per family (`pruning/`, `quantization/`,
`learning_rate/`, ...); a module is named after its rule (`RS509 mask-released-before-end` is
`pruning/mask_released_before_end.py`) and defines `RULE`. `_base` is the rule API (Rule,
RuleContext), `_facts` the facts several rules share; `lint.registry` lists them all.
"""
