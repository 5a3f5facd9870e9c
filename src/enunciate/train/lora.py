"""LoRA adapters through `peft`, for Hugging Face models (SpeechT5) and plain nn.Modules (VITS).

    model = add_lora(module, targets, rank=8, alpha=16)   # a peft.PeftModel; base weights frozen
    save_adapter(model, "run/adapter")                    # peft's save_pretrained: the adapter alone
    model = load_adapter(fresh_module, "run/adapter")     # the same outputs as before saving
    merged = merge(model)                                 # merge_and_unload: a plain module again

peft's LoRA for Conv1d builds its down-projection without the base layer's dilation, so on a dilated
convolution (VITS's HiFi-GAN resblocks, dilations up to 12) the adapter's output has the wrong
length. `add_lora` and `load_adapter` rebuild those down-projections with the base's dilation (the
same weights: merging, which works on the weights alone, is unaffected). ConvTranspose1d layers and
grouped (depthwise) convolutions have no peft LoRA: they stay frozen.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from torch import nn

from ..errors import EnunciateError


def _peft():
    try:
        import peft
    except ImportError as e:
        raise EnunciateError("LoRA training needs peft: pip install 'enunciate[train]'") from e
    return peft


def lora_targets(module: nn.Module, kinds: tuple[type, ...] = (nn.Linear, nn.Conv1d),
                 names: Iterable[str] | None = None, exclude: Iterable[str] = ()) -> list[str]:
    """Full names of the layers an adapter can go on: of `kinds`, not grouped, and (when `names`
    is given) whose last name component is one of them."""
    wanted = set(names) if names is not None else None
    skip = tuple(exclude)
    out = []
    for name, layer in module.named_modules():
        if type(layer) not in kinds or getattr(layer, "groups", 1) != 1 or (skip and name.startswith(skip)):
            continue
        if wanted is None or name.rsplit(".", 1)[-1] in wanted:
            out.append(name)
    return out


def _dilate(model) -> None:
    """Give each Conv1d adapter's down-projection its base layer's dilation (see the module docstring)."""
    from peft.tuners.lora.layer import Conv1d as LoraConv1d

    for layer in model.modules():
        if not isinstance(layer, LoraConv1d):
            continue
        base = layer.get_base_layer()
        if base.dilation == (1,):
            continue
        for key, down in list(layer.lora_A.items()):
            if down.dilation == base.dilation:
                continue
            fixed = nn.Conv1d(down.in_channels, down.out_channels, down.kernel_size, down.stride, base.padding,
                              dilation=base.dilation, bias=False).to(down.weight.device, down.weight.dtype)
            fixed.weight = down.weight
            layer.lora_A[key] = fixed


def add_lora(module: nn.Module, targets: list[str], rank: int = 8, alpha: int = 16, dropout: float = 0.0):
    """`module` wrapped by peft with LoRA on `targets` (full names); only the adapters train."""
    peft = _peft()
    if not targets:
        raise EnunciateError("no layer to put a LoRA adapter on")
    config = peft.LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(targets),
                             bias="none")
    model = peft.get_peft_model(module, config)
    _dilate(model)
    return model


def save_adapter(model, folder: str | Path) -> Path:
    """The adapter alone (adapter_config.json + adapter_model.safetensors), peft's save_pretrained."""
    folder = Path(folder)
    model.save_pretrained(str(folder))
    return folder


def load_adapter(module: nn.Module, folder: str | Path, trainable: bool = False):
    """`module` (fresh base weights) with the adapter saved in `folder`."""
    peft = _peft()
    folder = Path(folder)
    if not (folder / "adapter_config.json").is_file():
        raise EnunciateError(f"{folder} is not a LoRA adapter folder (no adapter_config.json)")
    model = peft.PeftModel.from_pretrained(module, str(folder), is_trainable=trainable)
    _dilate(model)
    return model


def merge(model) -> nn.Module:
    """The adapters folded into the base weights (peft's merge_and_unload): a plain module."""
    return model.merge_and_unload()
