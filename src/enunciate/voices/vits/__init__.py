"""Piper VITS voices in PyTorch: the network (`model`), its weights recovered from the ONNX export
(`recover`) and the voice interface (`voice`). Importing this package imports torch."""
from .model import Vits, VitsConfig
from .recover import load_weights, weights_file
from .voice import TorchPiperVoice

__all__ = ["TorchPiperVoice", "Vits", "VitsConfig", "load_weights", "weights_file"]
