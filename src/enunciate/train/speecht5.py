"""SpeechT5 as the source documents do it: LoRA fine-tuning, then dynamic int8 and L1 pruning.

    finetune("./speecht5", "data/terms", "./t5-terms", TrainOptions(lora=True, steps=4000))
    quantize_folder("./t5-terms", "./t5-terms-int8")        # quantize_dynamic on every nn.Linear
    prune_folder("./t5-terms", "./t5-terms-pruned", 0.3)     # l1_unstructured(0.3) on every nn.Linear

Training follows Hugging Face's SpeechT5 fine-tuning guide: each transcript becomes the tokenizer's
ids (enunciate's frontend spells it first, exactly as the voice reads text at inference: numbers,
units and respelled terms, then "▁" + characters + </s>); the target is the log-mel spectrogram of
the 16 kHz audio from transformers' SpeechT5FeatureExtractor (80 mels, 64 ms windows, 16 ms hop =
1024/256 samples, 80-7600 Hz), cut to a multiple of the reduction factor and padded with -100; the
speaker embedding is the folder's speaker.npy; the loss is SpeechT5ForTextToSpeech's own: L1 on the
mel before and after the post-net, BCE on the stop token, and the guided-attention loss when the
config enables it (it does by default). Gradients are clipped at norm 1 (the guide's trainer
default). LoRA (peft) goes on the attention projections (q/k/v/out) and the feed-forward layers of
the encoder and decoder.

Variants of a (fine-tuned) folder, each a voice folder: `quantize_folder` applies
torch.ao.quantization.quantize_dynamic to the acoustic model's nn.Linear layers and saves the int8
weights, scales and zero points as `torch_state` (safetensors); the loader quantizes the fp32
weights the same way and checks them against it (`optimize.torch_methods.apply_transform`), so the
folder keeps the fp32 weights too. `prune_folder` zeroes the smallest `amount` of each nn.Linear
weight (l1_unstructured, made permanent) and saves the pruned model. The HiFi-GAN vocoder is left
as it is in both, as in the documents.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import EnunciateError
from .finetune import Trainer, check_finite, step_seed

log = logging.getLogger(__name__)

LORA_LAYERS = ("q_proj", "k_proj", "v_proj", "out_proj", "intermediate_dense", "output_dense")
MAX_GRAD_NORM = 1.0
LAYERDROP_RISK = 1e-5  # chance per step that LayerDrop skips every decoder layer, above which it is off
PRUNE_AMOUNT = 0.3


def feature_extractor(sample_rate: int):
    """transformers' SpeechT5FeatureExtractor with its defaults (nothing is downloaded)."""
    from ..voices.torch_runtime import import_transformers

    extractor = import_transformers().SpeechT5FeatureExtractor()
    if extractor.sampling_rate != sample_rate:
        raise EnunciateError(f"SpeechT5's features are made at {extractor.sampling_rate} Hz, but this vocoder "
                             f"runs at {sample_rate} Hz")
    return extractor


class SpeechT5Trainer(Trainer):
    """Fine-tunes a SpeechT5 folder's acoustic model (the vocoder is not trained), full or with LoRA."""

    family = "speecht5"
    method_defaults = {False: 1e-5, True: 1e-4}

    def __init__(self, manifest, dataset, options):
        from ..voices.speecht5 import SpeechT5Voice

        super().__init__(manifest, dataset, options)
        self.voice = SpeechT5Voice(manifest, options.device)
        self.model = self.voice.model
        self.model.config.use_cache = False  # the guide's setting: no decoder cache while training
        decoder = self.model.speecht5.decoder.wrapped_decoder
        if decoder.layerdrop ** len(decoder.layers) > LAYERDROP_RISK:
            # LayerDrop can skip every layer of a shallow decoder; transformers' guided-attention loss
            # then has no attention to read and fails: keep all layers of such a model
            log.info("decoder LayerDrop off: %d layer(s) at %.2f", len(decoder.layers), decoder.layerdrop)
            decoder.layerdrop = 0.0
        self.peft = None
        if options.lora:
            from .lora import add_lora, lora_targets

            self.model.requires_grad_(False)
            self.peft = add_lora(self.model, lora_targets(self.model, (nn.Linear,), LORA_LAYERS),
                                 options.lora_rank, options.lora_alpha)
        else:
            self.model.requires_grad_(True)
        self.features = feature_extractor(self.voice.sample_rate)
        self.optimizer = torch.optim.AdamW(self._parameters(), self.learning_rate)

    def _parameters(self) -> list[nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """input_ids, attention_mask, speaker_embeddings and labels (-100 where padded)."""
        from ..voices.piper import keep_known
        from .data import DataError

        config, voice = self.model.config, self.voice
        ids, mels = [], []
        for index, item in self.items(step):
            text = keep_known(self.phonemes(index, item), voice.symbols)
            ids.append([voice.ids[" "], *(voice.ids[ch] for ch in text), config.eos_token_id])
            mel = np.asarray(self.features(audio_target=item.audio, sampling_rate=item.sample_rate)["input_values"][0])
            mel = mel[:len(mel) - len(mel) % config.reduction_factor]
            if not len(mel):
                raise DataError(item.id, self.dataset.rows[index].where, "its audio is too short for one frame")
            mels.append(mel)
        input_ids = torch.full((len(ids), max(map(len, ids))), config.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(input_ids)
        labels = torch.full((len(mels), max(map(len, mels)), config.num_mel_bins), -100.0)
        for i, (seq, mel) in enumerate(zip(ids, mels)):
            input_ids[i, :len(seq)], mask[i, :len(seq)] = torch.tensor(seq), 1
            labels[i, :len(mel)] = torch.from_numpy(mel)
        device = self.voice.device
        return {"input_ids": input_ids.to(device), "attention_mask": mask.to(device),
                "speaker_embeddings": voice.speaker.float().expand(len(ids), -1).to(device),
                "labels": labels.to(device)}

    def _train_mode(self) -> None:
        """Training mode; under LoRA the post-net's BatchNorm keeps its running statistics (they are
        base weights too), so the adapter alone describes everything the run changed."""
        self.model.train()
        if self.peft is not None:
            for module in self.model.modules():
                if isinstance(module, nn.BatchNorm1d):
                    module.eval()

    def train_step(self, step: int) -> dict[str, float]:
        self._train_mode()
        loss = self.model(**self.batch(step)).loss
        check_finite(step, {"loss": loss})
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self._parameters(), MAX_GRAD_NORM)
        self.optimizer.step()
        return {"loss": float(loss.detach())}

    def measure(self, step: int) -> float:
        batch = self.batch(step)
        self.model.eval()  # the decoder pre-net's dropout stays on (as SpeechT5 runs): the seed fixes it
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(step_seed(self.options.seed, step))
            return float(self.model(**batch).loss)

    def _trainable(self) -> set[str]:
        """What a checkpoint holds: the adapters, or every weight and buffer (BatchNorm statistics)."""
        names = {name for name, p in self.model.named_parameters() if p.requires_grad}
        return names if self.peft is not None else names | {name for name, _ in self.model.named_buffers()}

    def state_dict(self) -> dict:
        names = self._trainable()
        return {"model": {k: v for k, v in self.model.state_dict().items() if k in names},
                "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        missing = self._trainable() - set(state["model"])
        if missing:
            raise ValueError(f"checkpoint lacks {sorted(missing)[:3]}")
        self.model.load_state_dict(state["model"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])

    def save_adapter(self, folder: Path) -> Path:
        from .lora import save_adapter

        return save_adapter(self.peft, folder)

    def save_voice(self, out: Path, provenance, metrics: dict, force: bool):
        from .lora import merge

        model = merge(self.peft) if self.peft is not None else self.model
        model.config.use_cache = True
        return write_voice(self.manifest, model.eval(), out, provenance, metrics, force)


# --- voice folders -------------------------------------------------------------------------------

def _folder(parent, out: Path, files: dict[str, Path], provenance, metrics: dict, force: bool, options=None):
    """Write a SpeechT5 voice folder: `files` (new ones by role) over the parent's."""
    from ..voices.folder import FileRef, write_voice_folder

    every = {role: parent.path(role) for role in parent.files}
    every.update(files)
    refs = {role: FileRef(("vocoder/" if role.startswith("vocoder") else "") + Path(p).name)
            for role, p in every.items()}
    sizes = sum(Path(p).stat().st_size for p in every.values())
    manifest = replace(parent, name=Path(out).name, files=refs, folder=None, base=None, provenance=provenance,
                       metrics={"size_bytes": sizes, **metrics},
                       options=parent.options if options is None else options,
                       description=f"{parent.description or parent.name} ({provenance.method})")
    return write_voice_folder(out, manifest, every, force=force)


def write_voice(parent, model, out: Path, provenance, metrics: dict, force: bool):
    """The trained acoustic model saved (save_pretrained) with the parent's tokenizer, vocoder and speaker."""
    for p in model.parameters():
        if not torch.isfinite(p).all():
            raise EnunciateError("the trained weights hold NaN or infinite values; not saved")
    with tempfile.TemporaryDirectory(prefix="enunciate-speecht5-") as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        files = {"config": Path(tmp) / "config.json", "weights": Path(tmp) / "model.safetensors"}
        return _folder(parent, Path(out), files, provenance, metrics, force)


def merge_adapter_folder(parent, adapter: Path, out: Path, provenance, force: bool):
    from .lora import load_adapter, merge

    model = merge(load_adapter(load_model(parent), adapter))
    return write_voice(parent, model.eval(), out, provenance, {}, force)


def load_model(parent):
    """The acoustic model of a SpeechT5 voice, fp32 on the CPU."""
    from ..voices.torch_runtime import import_transformers

    folder = parent.path("config").parent
    try:
        return import_transformers().SpeechT5ForTextToSpeech.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise EnunciateError(f"could not load the SpeechT5 checkpoint in {str(folder)!r}: {e}") from e


def _parent(voice: str):
    from ..voices.registry import resolve

    parent = resolve(voice)
    if parent.family != "speecht5":
        raise EnunciateError(f"{parent.name!r} is a {parent.family} voice; this works on SpeechT5 folders")
    if "torch_transform" in parent.options:
        raise EnunciateError(f"{parent.name!r} is already a {parent.options['torch_transform']} variant; "
                             "start from the fp32 folder")
    return parent


def _provenance(parent, method: str, params: dict, command: str | None):
    import shlex
    import sys

    from ..voices.folder import Provenance
    from .finetune import parent_sha256

    return Provenance(parent.provenance.source, parent.name, parent_sha256(parent), method, params,
                      command or shlex.join(["enunciate", *sys.argv[1:]]))


def quantize_folder(voice: str, out: str | Path, force: bool = False, command: str | None = None):
    """The documents' quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8) of a SpeechT5 folder's
    acoustic model, as a voice folder the loader applies it from (torch engine, CPU, fp32)."""
    from safetensors.torch import save_file

    from ..optimize.torch_methods import STATE_FILE, int8_weights, torch_counts, transform

    parent = _parent(voice)
    model = load_model(parent).eval()
    transform(model, "int8-dynamic")
    counts = torch_counts(model)
    with tempfile.TemporaryDirectory(prefix="enunciate-speecht5-") as tmp:
        state = Path(tmp) / STATE_FILE
        save_file(int8_weights(model), str(state), metadata={"transform": "int8-dynamic", "torch": torch.__version__})
        return _folder(parent, Path(out), {"torch_state": state},
                       _provenance(parent, "torch-int8-dynamic", {"layers": "Linear", "dtype": "qint8"}, command),
                       counts, force, options={**parent.options, "torch_transform": "int8-dynamic"})


def prune_folder(voice: str, out: str | Path, amount: float = PRUNE_AMOUNT, force: bool = False,
                 command: str | None = None):
    """l1_unstructured(amount) on every nn.Linear weight of a SpeechT5 folder's acoustic model (per
    layer, made permanent), saved as a voice folder."""
    from ..optimize.torch_methods import l1_prune

    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 < amount < 1:
        raise EnunciateError(f"the pruning amount is the share of weights to zero, between 0 and 1 (e.g. 0.3); "
                             f"got {amount!r}")
    parent = _parent(voice)
    model = load_model(parent).eval()
    pruned = l1_prune(model, float(amount), "linear")
    total = sum(t.numel() for t in pruned.values())
    zeros = sum(int((t == 0).sum()) for t in pruned.values())
    metrics = {"pruned_tensors": len(pruned), "pruned_sparsity": round(zeros / total, 4) if total else 0.0}
    return write_voice(parent, model, Path(out), _provenance(parent, "torch-l1-prune",
                                                             {"amount": float(amount), "layers": "Linear"}, command),
                       metrics, force)
