"""A research lab's own SparseML modifier (the `recipe-studio stubs` example)."""

from typing import List, Union

from sparseml.pytorch.sparsification.modifier import PyTorchModifierYAML
from sparseml.pytorch.sparsification.pruning import GlobalMagnitudePruningModifier


@PyTorchModifierYAML()
class AdaPruneGlobalMagnitudePruningModifier(GlobalMagnitudePruningModifier):
    """Global magnitude pruning with AdaPrune's layer-wise reconstruction.

    :param adaprune_steps: reconstruction steps per layer
    :param adaprune_lr: learning rate of the reconstruction
    """

    def __init__(self, params: Union[str, List[str]], init_sparsity: float,
                 final_sparsity: float, start_epoch: float, end_epoch: float,
                 update_frequency: float, adaprune_steps: int = 100,
                 adaprune_lr: float = 1e-3, inter_func: str = "cubic",
                 mask_type: str = "unstructured", leave_enabled: bool = True):
        super().__init__(params=params, init_sparsity=init_sparsity,
                         final_sparsity=final_sparsity, start_epoch=start_epoch,
                         end_epoch=end_epoch, update_frequency=update_frequency,
                         inter_func=inter_func, mask_type=mask_type,
                         leave_enabled=leave_enabled)
        self._adaprune_steps = adaprune_steps
        self._adaprune_lr = adaprune_lr
