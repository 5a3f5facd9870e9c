"""What is fixed when a voice loads (`VoiceSpec`) apart from what changes per request (`SpeakOptions`).

One record of each is shared by the Python API, the CLI and the server: a flag is defined once.
A server or batch worker keeps one loaded voice per VoiceSpec and runs many SpeakOptions through it.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

from .errors import EnunciateError

DEFAULT_VOICE = "heart"
MIN_SPEED, MAX_SPEED = 0.5, 2.0
MARKUPS = ("markdown", "rst", "html", "notebook", "asciidoc", "plain", "ssml")
ENGINES = ("onnx", "torch")
DTYPES = ("fp32", "bf16", "fp16")


@dataclass(frozen=True)
class VoiceSpec:
    """Which voice, and how it runs: fixed for the life of a loaded voice."""

    voice: str = DEFAULT_VOICE    # a voice name, a stored voice's name, or a voice folder's path
    engine: str | None = None     # "onnx" (ONNX Runtime, CPU), "torch" (PyTorch modules); None: the voice's
    #                               first engine, or torch when device/dtype/compile ask for it
    device: str = "cpu"           # "cpu" or "cuda[:N]" (torch engine only)
    dtype: str = "fp32"           # "fp32", "bf16", or "fp16" on CUDA only (torch engine only)
    compile: bool = False         # torch.compile the voice (torch engine; CUDA graphs on a GPU)
    threads: int | None = None    # CPU threads (None: ENUNCIATE_THREADS or at most 4)

    def __post_init__(self):
        if not isinstance(self.voice, str) or not self.voice.strip():
            raise EnunciateError("voice must be a non-empty name or folder path")
        if self.engine is not None and self.engine not in ENGINES:
            raise EnunciateError(f"unknown engine {self.engine!r}; available: {', '.join(ENGINES)}")
        if self.device != "cpu" and not self.device.startswith("cuda"):
            raise EnunciateError(f"unknown device {self.device!r}; available: cpu, cuda")
        if self.dtype not in DTYPES:
            raise EnunciateError(f"unknown dtype {self.dtype!r}; available: {', '.join(DTYPES)}")
        if self.threads is not None and self.threads < 1:
            raise EnunciateError(f"threads must be at least 1, got {self.threads}")
        if self.engine == "onnx":
            if self.device != "cpu":
                raise EnunciateError("the onnx engine runs on the CPU; use engine='torch' for device='cuda'")
            if self.compile:
                raise EnunciateError("compile applies to the torch engine; use engine='torch' with compile")
            if self.dtype != "fp32":
                raise EnunciateError("dtype applies to the torch engine; an ONNX voice runs as its file is "
                                     "(make an fp16 or int8 variant with `enunciate optimize`)")

    def engine_for(self, engines: tuple[str, ...]) -> str:
        """The engine this spec runs on, for a voice that has `engines`."""
        if self.engine:
            return self.engine
        wants_torch = self.device != "cpu" or self.compile or self.dtype != "fp32"
        return "torch" if wants_torch and "torch" in engines else engines[0]

    def load(self):
        """The loaded voice (cached: the same spec gives the same object)."""
        from .voices.registry import load

        return load(self)


@dataclass(frozen=True)
class SpeakOptions:
    """How one request is spoken; any loaded voice takes any of these."""

    speed: float = 1.0
    seed: int | None = 0                  # noise seed (same text + seed -> same samples); None = random
    markup: str = "markdown"              # MARKUPS; SSML is also recognised when the text starts with <speak>
    lexicons: tuple[str, ...] = ()        # user lexicon TSV files, searched before the built-in ones
    lexicon_tsv: str = ""                 # lexicon entries as TSV text (a server request's), searched first
    loudness_lufs: float | None = None    # one gain for the whole output, measured on its first chunk (-16: podcasts)
    sentence_pause_s: float = 0.12        # silence added between sentences of one paragraph
    max_chunk_symbols: int | None = None  # phonemes per synthesis call (None: the voice's limit)
    first_chunk_symbols: int | None = None  # streaming: cut the first chunk at a clause within this many
    #                                         phonemes, so the first audio comes sooner (None: no cut)

    def __post_init__(self):
        if not MIN_SPEED <= float(self.speed) <= MAX_SPEED:
            raise EnunciateError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {self.speed}")
        if self.markup not in MARKUPS:
            raise EnunciateError(f"unknown markup {self.markup!r}; choose one of {', '.join(MARKUPS)}")
        for name in ("max_chunk_symbols", "first_chunk_symbols"):
            value = getattr(self, name)
            if value is not None and value < 20:
                raise EnunciateError(f"{name} must be at least 20, got {value}")
        if self.loudness_lufs is not None and not -70 <= self.loudness_lufs <= 0:
            raise EnunciateError(f"loudness must be between -70 and 0 LUFS, got {self.loudness_lufs}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral)):
            raise EnunciateError(f"seed must be an integer or None, got {self.seed!r}")

    @property
    def ssml(self) -> bool | None:
        """True for markup "ssml"; None lets a text that starts with <speak> be read as SSML."""
        return True if self.markup == "ssml" else None


SPEC_FIELDS = frozenset(f.name for f in fields(VoiceSpec))
OPTION_FIELDS = frozenset(f.name for f in fields(SpeakOptions))


def split(spec: VoiceSpec | str | None, options: SpeakOptions | None, overrides: dict,
          ssml: bool | None = None) -> tuple[VoiceSpec, SpeakOptions]:
    """Keyword overrides (voice=, engine=, speed=, ...) sorted into the two records; ssml=True is markup "ssml"."""
    from dataclasses import replace

    unknown = set(overrides) - SPEC_FIELDS - OPTION_FIELDS
    if unknown:
        raise EnunciateError(f"unknown option(s) {', '.join(sorted(unknown))}; voice options: "
                             f"{', '.join(sorted(SPEC_FIELDS))}; speaking options: {', '.join(sorted(OPTION_FIELDS))}")
    if isinstance(spec, str):
        spec = VoiceSpec(voice=spec)
    spec = spec or VoiceSpec()
    options = options or SpeakOptions()
    spec_kw = {k: v for k, v in overrides.items() if k in SPEC_FIELDS and v is not None}
    opt_kw = {k: v for k, v in overrides.items() if k in OPTION_FIELDS}
    if "lexicons" in opt_kw:
        opt_kw["lexicons"] = tuple(str(p) for p in opt_kw["lexicons"])
    if ssml:
        opt_kw["markup"] = "ssml"
    return (replace(spec, **spec_kw) if spec_kw else spec), (replace(options, **opt_kw) if opt_kw else options)
