"""Kokoro-82M in PyTorch, with float weights recovered from the offline int8 ONNX graph.

    from enunciate.voices.kokoro_torch import TorchKokoroVoice
    voice = enunciate.load_voice("kokoro", engine="torch", device="cuda", dtype="bf16")
    chunks = voice.synthesize_batch(["hˈɛlO wˈɜɹld!", "ðə kwˈɪk bɹˈWn fˈɑks."])

Needs torch and safetensors (imported here, not by `enunciate` itself).
"""
from .model import KokoroConfig, KokoroModel, KokoroOutput, load_model
from .recover import recovered_weights
from .voice import TorchKokoroVoice

__all__ = ["KokoroConfig", "KokoroModel", "KokoroOutput", "TorchKokoroVoice", "load_model",
           "recovered_weights"]
