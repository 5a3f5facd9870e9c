"""SpeechT5 (Hugging Face format, a checkpoint the user supplies): letters in, 16 kHz audio out.

A SpeechT5 voice is a folder, given by its path (or, as before, `speecht5:<folder>`):

    <folder>/config.json, model.safetensors or pytorch_model.bin, spm_char.model
                                          (the layout of microsoft/speecht5_tts or a fine-tune of it)
    <folder>/vocoder/config.json + weights (a SpeechT5HifiGan, as microsoft/speecht5_hifigan)
    <folder>/speaker.npy                  (the speaker: a 512-value x-vector, float)

Nothing is downloaded: the folder must hold all three. A plain Hugging Face folder like this needs
no voice.json: its manifest is inferred (`speecht5_manifest`); one with a voice.json (family
"speecht5") is checked file by file like any voice folder. The model reads characters, so enunciate's
frontend gives it normalized words (numbers, units and versions spelled out; known terms respelled
where their spelling misleads, see text/respell.py). It is autoregressive and has no durations of
its own: each character's duration comes from the decoder's cross-attention, aligned monotonically,
so word timestamps and captions work as for the other voices. Its decoder pre-net keeps dropout on
at inference (as trained), so `seed` makes a run repeatable.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import EnunciateError
from .base import AudioChunk, Capabilities, Voice, random_seed
from .folder import FileRef, Provenance, VoiceManifest
from .piper import keep_known

log = logging.getLogger(__name__)

WORD_BOUNDARY = "▁"  # sentencepiece's space
WEIGHTS = ("model.safetensors", "pytorch_model.bin")
MAX_LEN_RATIO = 20.0  # decoder steps per input character at most (Hugging Face's default), x reduction


def looks_like_speecht5(folder: Path) -> bool:
    """A Hugging Face folder whose config.json names model_type "speecht5"."""
    import json

    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type") == "speecht5"
    except (OSError, ValueError, AttributeError):
        return (folder / "spm_char.model").exists()  # a damaged config: still say what the folder lacks


def check_folder(folder: Path) -> dict[str, Path]:
    """The files a SpeechT5 voice folder needs, or an EnunciateError naming every missing one."""
    files = {"model config": folder / "config.json", "tokenizer": folder / "spm_char.model",
             "vocoder config": folder / "vocoder" / "config.json", "speaker": folder / "speaker.npy"}
    if not folder.is_dir():
        raise EnunciateError(f"SpeechT5 voice folder {str(folder)!r} does not exist (see `enunciate speak --help`: "
                             "speecht5:<folder> with the model, vocoder/ and speaker.npy)")
    weights = [folder / w for w in WEIGHTS if (folder / w).exists()]
    vocoder = [folder / "vocoder" / w for w in WEIGHTS if (folder / "vocoder" / w).exists()]
    missing = [f"{what} ({path})" for what, path in files.items() if not path.exists()]
    missing += [] if weights else [f"model weights ({folder}/{' or '.join(WEIGHTS)})"]
    missing += [] if vocoder else [f"vocoder weights ({folder}/vocoder/{' or '.join(WEIGHTS)})"]
    if missing:
        raise EnunciateError(f"SpeechT5 voice folder {str(folder)!r} lacks: {'; '.join(missing)}. It needs the "
                             "model (as microsoft/speecht5_tts), a SpeechT5HifiGan in vocoder/ (as "
                             "microsoft/speecht5_hifigan) and speaker.npy (a 512-value x-vector)")
    return files


def speecht5_manifest(folder: Path) -> VoiceManifest:
    """The manifest of a plain SpeechT5 folder (files located, not hashed: nothing records their hashes)."""
    files = check_folder(folder)
    weights = next(folder / w for w in WEIGHTS if (folder / w).exists())
    vocoder = next(folder / "vocoder" / w for w in WEIGHTS if (folder / "vocoder" / w).exists())
    paths = {"config": files["model config"], "weights": weights, "tokenizer": files["tokenizer"],
             "vocoder_config": files["vocoder config"], "vocoder_weights": vocoder, "speaker": files["speaker"]}
    refs = {role: FileRef(str(p.relative_to(folder)), "", p.stat().st_size) for role, p in paths.items()}
    return VoiceManifest(folder.name, "speecht5", "text", 16000, refs, licence="as the checkpoint's",
                         description="SpeechT5 text-to-speech + HiFi-GAN vocoder (PyTorch, Hugging Face format)",
                         engines=("torch",), provenance=Provenance(f"user-supplied folder {folder}"),
                         folder=folder.resolve())


def monotonic_durations(attention: np.ndarray) -> np.ndarray:
    """Decoder steps per input position from cross-attention [steps, inputs]: the path through the
    attention that never goes back and moves at most two positions a step, with the highest total
    log-attention, ending on the last position. Returns counts summing to the number of steps."""
    steps, inputs = attention.shape
    logp = np.log(np.clip(attention, 1e-8, None))
    score = np.full((steps, inputs), -np.inf)
    back = np.zeros((steps, inputs), np.int8)
    score[0, 0] = logp[0, 0]
    for t in range(1, steps):
        options = np.stack([score[t - 1],
                            np.concatenate([[-np.inf], score[t - 1, :-1]]),
                            np.concatenate([[-np.inf, -np.inf], score[t - 1, :-2]])])
        back[t] = options.argmax(axis=0)
        score[t] = options.max(axis=0) + logp[t]
    position = inputs - 1 if np.isfinite(score[-1, -1]) else int(np.argmax(score[-1]))
    counts = np.zeros(inputs, np.int64)
    for t in range(steps - 1, -1, -1):
        counts[position] += 1
        position -= int(back[t, position])
    return counts


class SpeechT5Voice(Voice):
    """A SpeechT5 checkpoint folder run by PyTorch (transformers' SpeechT5 modules) on `device`."""

    alphabet = "text"
    max_symbols = 300  # characters per call: long inputs make an autoregressive decoder lose its place
    capabilities = Capabilities(seeded_noise=True)

    def __init__(self, manifest: VoiceManifest, device: str = "cpu", dtype: str = "fp32"):
        from .registry import info_of
        from .torch_runtime import import_transformers, torch_device, torch_dtype

        folder = manifest.path("config").parent
        vocoder_folder = manifest.path("vocoder_config").parent
        self.device = torch_device(device)
        self.dtype = torch_dtype(dtype, self.device)
        transformers = import_transformers()
        transformers.utils.logging.disable_progress_bar()  # two small files: a bar would be noise
        try:
            self.model = transformers.SpeechT5ForTextToSpeech.from_pretrained(str(folder), local_files_only=True)
            self.vocoder = transformers.SpeechT5HifiGan.from_pretrained(str(vocoder_folder),
                                                                        local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise EnunciateError(f"could not load the SpeechT5 checkpoint in {str(folder)!r}: {e}") from e
        self.model.to(self.device, self.dtype).eval()
        self.vocoder.to(self.device, self.dtype).eval()
        if "torch_transform" in manifest.options:  # an int8 variant (train.speecht5.quantize_folder)
            from .torch_transforms import apply_transform
            from ..options import VoiceSpec

            apply_transform(self.model, manifest.options["torch_transform"], manifest.path("torch_state"),
                            VoiceSpec(manifest.name, "torch", device, dtype))
        self.config = self.model.config
        self.sample_rate = int(self.vocoder.config.sampling_rate)
        self.hop = int(np.prod(self.vocoder.config.upsample_rates))
        self.speaker = self._speaker(manifest.path("speaker"))
        self.ids, self.symbols = self._vocabulary(manifest.path("tokenizer"))
        self.info = info_of(manifest)

    def spell(self, word) -> str:
        """Letters, not phonemes: the word as written, or respelled where the spelling misleads;
        hyphens become spaces and capitals lower case where the model has no such symbol."""
        from ..text.respell import written_form

        form = written_form(word.text, word.phonemes, word.source, everyday=word.everyday)
        if "-" not in self.symbols:
            form = form.replace("-", " ")
        return "".join(ch.lower() if ch not in self.symbols and ch.lower() in self.symbols else ch for ch in form)

    def _speaker(self, path: Path):
        import torch

        try:
            vector = np.load(path, allow_pickle=False).astype(np.float32).reshape(-1)
        except (OSError, ValueError) as e:
            raise EnunciateError(f"{path} is not a readable .npy array: {e}") from e
        want = self.config.speaker_embedding_dim
        if vector.size != want or not np.isfinite(vector).all():
            raise EnunciateError(f"{path} must hold {want} finite values (an x-vector), got {vector.size}")
        return torch.from_numpy(vector)[None].to(self.device, self.dtype)

    def _vocabulary(self, path: Path) -> tuple[dict[str, int], frozenset[str]]:
        """Character -> token id from the sentencepiece model (its space is "▁")."""
        try:
            import sentencepiece
        except ImportError as e:
            raise EnunciateError("SpeechT5 voices need sentencepiece: pip install 'enunciate[speecht5]'") from e
        sp = sentencepiece.SentencePieceProcessor(model_file=str(path))
        ids = {}
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if len(piece) == 1 and not (sp.is_control(i) or sp.is_unknown(i)):
                ids[" " if piece == WORD_BOUNDARY else piece] = i
        if " " not in ids or self.config.eos_token_id is None:
            raise EnunciateError(f"{path} is not a SpeechT5 character vocabulary (no word-boundary piece)")
        return ids, frozenset(ids)

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        """`phonemes` is the text to read (this voice's alphabet is letters). speed stretches the
        spectrogram in time; seed fixes the pre-net's dropout (None: a different take each call)."""
        import torch

        text = keep_known(phonemes, self.symbols)
        if not text.strip():
            return self.empty()
        ids = [self.ids[" "], *(self.ids[ch] for ch in text), self.config.eos_token_id]
        inputs = torch.tensor([ids], device=self.device)
        with torch.inference_mode(), torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(random_seed() if seed is None else seed)
            mel, attention = self.model.generate_speech(inputs, self.speaker, maxlenratio=MAX_LEN_RATIO,
                                                        output_cross_attentions=True)
            steps = attention.shape[-2]
            if steps >= int(len(ids) * MAX_LEN_RATIO / self.config.reduction_factor):
                log.warning("SpeechT5 did not stop by itself on %r (cut at %d steps)", text[:60], steps)
            if speed != 1.0:
                frames = max(1, round(mel.shape[0] / speed))
                mel = torch.nn.functional.interpolate(mel.T[None].float(), size=frames, mode="linear",
                                                      align_corners=True)[0].T.to(mel.dtype)
            audio = self.vocoder(mel).float().cpu().numpy().reshape(-1)
        weights = attention.float().mean(dim=(0, 1)).cpu().numpy()  # layers and heads: [steps, inputs]
        seconds = monotonic_durations(weights) * (self.config.reduction_factor * self.hop / self.sample_rate / speed)
        return AudioChunk(audio.astype(np.float32), self.sample_rate, text,
                          seconds[1:-1].astype(np.float32), offset_s=float(seconds[0]))
