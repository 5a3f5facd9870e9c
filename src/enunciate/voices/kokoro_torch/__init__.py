"""Kokoro-82M in PyTorch, with float weights recovered from the offline int8 ONNX graph.

    from enunciate.voices.kokoro_torch import TorchKokoroVoice
    voice = TorchKokoroVoice("mean", threads=2, info=info, device="cuda", dtype="bfloat16")
    chunks = voice.synthesize_batch(["hˈɛlO wˈɜɹld!", "ðə kwˈɪk bɹˈWn fˈɑks."])

Needs torch and safetensors (imported here, not by `enunciate` itself).
"""
from .model import KokoroConfig, KokoroModel, KokoroOutput, load_model
from .recover import recovered_weights
from .voice import KokoroFiles, TorchKokoroVoice

__all__ = ["KokoroConfig", "KokoroFiles", "KokoroModel", "KokoroOutput", "TorchKokoroVoice", "load_model",
           "recovered_weights"]
