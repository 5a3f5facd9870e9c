"""hibari "heart": a 7.9 MB English voice distilled from Kokoro (af_heart), Kokoro-alphabet phonemes in.

The `hibari-tts` package supplies the model file and its vocabulary; the network predicts a
spectrum per frame and DSP turns it into a waveform with a seeded noise source: enunciate's
(hibari_dsp.py: the same model, faster noise and threaded FFTs) unless voice.json's options say
`"dsp": "hibari"` (the package's own DSP and samples). enunciate's frontend makes the phonemes;
hibari's own G2P is not used.
"""
from __future__ import annotations

import numpy as np

from typing import Iterable, Iterator

from ..errors import EnunciateError
from .base import AudioChunk, Capabilities, Voice, VoiceInfo, random_seed
from .graph import with_extra_output
from .piper import keep_known

FRAME_SAMPLES = 600  # /Round_output_0 counts 2 frames x hop 300 at 24 kHz
F0_HOP_SAMPLES = 300  # the network's f0 output: one value per hop (80 Hz at 24 kHz)
VOICING_HZ = 40.0     # the DSP treats frames under this as unvoiced
DURATION_TENSOR = "/Round_output_0"


def installed_voices() -> list[str]:
    """hibari voices whose model is on disk (only "heart" ships in the package; the rest download)."""
    import os

    from hibari.voices import VOICES, cache_dir

    return [name for name, v in VOICES.items()
            if v.get("bundled") or os.path.exists(os.path.join(cache_dir(), v["file"]))]


def model_file(name: str) -> str:
    from hibari.voices import VOICES, voice_path

    available = installed_voices()
    if name not in available:
        known = ", ".join(VOICES)
        raise EnunciateError(f"hibari voice {name!r} is not installed (it would have to be downloaded); "
                             f"installed: {', '.join(available)}; hibari knows: {known}")
    return voice_path(name, download_missing=False)


DSP_MODES = ("fast", "hibari")


class HibariVoice(Voice):
    """A hibari model file (Kokoro-alphabet phonemes in), then the DSP: enunciate's (hibari_dsp.py,
    dsp="fast", the default) or hibari-tts's own (dsp="hibari": the package's exact samples)."""

    alphabet = "kokoro"
    max_symbols = 400
    capabilities = Capabilities(seeded_noise=True, f0_rate_hz=24000 / F0_HOP_SAMPLES)

    def __init__(self, model_path, threads: int, info: VoiceInfo, dsp: str = "fast"):
        from hibari import Hibari

        if dsp not in DSP_MODES:
            raise EnunciateError(f"unknown DSP {dsp!r} for a hibari voice; available: {', '.join(DSP_MODES)}")
        self.dsp, self.threads = dsp, threads
        self._pool = None
        self.engine = Hibari(voice="heart", model=str(with_extra_output(model_path, DURATION_TENSOR)),
                             threads=threads, g2p=False)
        self.vocab: dict[str, int] = self.engine.vocab
        self.symbols = frozenset(self.vocab)
        self.sample_rate = self.engine.sample_rate
        self.output_names = [o.name for o in self.engine.sess.get_outputs()]
        self.info = info

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        """Same phonemes, speed and seed give bit-identical audio (the DSP's noise is seeded)."""
        return self._finish(self._model(phonemes, speed), seed)

    def synthesize_with_f0(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        """`synthesize`'s samples, with the F0 the network predicted and the DSP consumed (0 under VOICING_HZ)."""
        modelled = self._model(phonemes, speed)
        chunk = self._finish(modelled, seed)
        if modelled[1] is not None:
            f0 = np.asarray(modelled[1]["f0"], np.float32).reshape(-1)
            chunk.f0_hz = np.where(f0 < VOICING_HZ, 0.0, f0).astype(np.float32)
        return chunk

    def synthesize_many(self, requests: Iterable[tuple[str, float, int | None]]) -> Iterator[AudioChunk]:
        """Chunks in order, the DSP of one overlapping the network of the next (in a worker thread:
        both release the GIL), so a document takes about max(network, DSP) per chunk instead of
        their sum; the first chunk is not held back. The samples are those `synthesize` gives."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="hibari-dsp") as pool:
            pending, first = None, True
            for phonemes, speed, seed in requests:
                if first:  # the first chunk goes out as soon as it exists: time to first audio
                    first = False
                    yield self._finish(self._model(phonemes, speed), seed)
                    continue
                # beside the next network call the DSP gets one thread: the cores are busy
                job = pool.submit(self._finish, self._model(phonemes, speed), seed, 1)
                if pending is not None:
                    yield pending.result()
                pending = job
            if pending is not None:
                yield pending.result()

    def _model(self, phonemes: str, speed: float):
        phonemes = keep_known(phonemes, self.symbols)
        if not phonemes.strip():
            return phonemes, None
        return phonemes, self.network_outputs(phonemes, speed)

    def network_outputs(self, phonemes: str, speed: float = 1.0) -> dict[str, np.ndarray]:
        """The network's outputs by name (the per-frame branches, f0 and durations) before the DSP:
        what a student of this voice learns from."""
        return dict(zip(self.output_names, self.engine.sess.run(None, self.feeds(phonemes, speed))))

    def _dsp_pool(self):
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="hibari-bins")
        return self._pool

    def feeds(self, phonemes: str, speed: float = 1.0) -> dict[str, np.ndarray]:
        """Token ids between pads, and the speed."""
        ids = [self.vocab[ch] for ch in keep_known(phonemes, self.symbols)]
        return {"ids": np.array([[0, *ids, 0]], np.int64), "speed": np.array([speed], np.float32)}

    def _finish(self, modelled, seed: int | None, workers: int | None = None) -> AudioChunk:
        """The DSP on the network's outputs, on `workers` threads (default: the voice's threads).
        The samples do not depend on `workers`."""
        phonemes, outputs = modelled
        if outputs is None:
            return self.empty()
        parts = [outputs[k][0] for k in ("lh", "theta", "ln", "lr", "phi", "f0")]
        rng = np.random.default_rng(random_seed() if seed is None else seed)
        if self.dsp == "hibari":
            from hibari import dsp

            audio = dsp.synth(*parts, rng)
        else:
            from . import hibari_dsp

            workers = self.threads if workers is None else workers
            audio = hibari_dsp.synth(*parts, rng, workers, self._dsp_pool() if workers > 1 else None)
        seconds = outputs[DURATION_TENSOR].reshape(-1) * (FRAME_SAMPLES / self.sample_rate)
        return AudioChunk(np.asarray(audio, np.float32), self.sample_rate, phonemes,
                          seconds[1:-1].astype(np.float32), offset_s=float(seconds[0]))
