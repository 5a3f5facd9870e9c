"""One options record shared by the Python API and the CLI (and later the server): a flag is defined once."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import EnunciateError
from .voices.registry import DEFAULT_VOICE

MIN_SPEED, MAX_SPEED = 0.5, 2.0
MARKUPS = ("markdown", "rst", "html", "notebook", "asciidoc", "plain")


@dataclass(frozen=True)
class SpeakOptions:
    voice: str = DEFAULT_VOICE
    speed: float = 1.0
    lexicons: tuple[str, ...] = ()        # user lexicon TSV files, searched before the built-in ones
    markup: str = "markdown"              # "markdown", "rst", "html", "notebook", "asciidoc" or "plain"
    seed: int | None = 0                  # noise seed for voices that sample noise (hibari); None = random
    threads: int | None = None            # ONNX Runtime intra-op threads (None: ENUNCIATE_THREADS or <=4)
    sentence_pause_s: float = 0.12        # silence added between sentences of one paragraph
    max_chunk_symbols: int | None = None  # phonemes per synthesis call (None: the voice's limit)
    engine: str = "onnx"                  # "onnx" (ONNX Runtime, CPU) or "torch" (PyTorch modules)
    device: str = "cpu"                   # "cpu" or "cuda" (torch engine only)
    dtype: str = "fp32"                   # "fp32", "bf16", or "fp16" on CUDA only (torch engine only)
    compile: bool = False                 # torch.compile the voice (torch engine; CUDA graphs on a GPU)

    def load_voice(self):
        from .voices.registry import load_voice

        return load_voice(self.voice, self.threads, self.engine, self.device, self.dtype, self.compile)

    def __post_init__(self):
        if not MIN_SPEED <= float(self.speed) <= MAX_SPEED:
            raise EnunciateError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {self.speed}")
        if self.markup not in MARKUPS:
            raise EnunciateError(f"unknown markup {self.markup!r}; choose one of {', '.join(MARKUPS)}")
        if self.threads is not None and self.threads < 1:
            raise EnunciateError(f"threads must be at least 1, got {self.threads}")
        if self.max_chunk_symbols is not None and self.max_chunk_symbols < 20:
            raise EnunciateError(f"max_chunk_symbols must be at least 20, got {self.max_chunk_symbols}")
