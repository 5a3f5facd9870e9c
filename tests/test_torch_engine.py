"""The torch engine through the public API: same words and timings as ONNX, batches equal singles."""
from __future__ import annotations

import numpy as np
import pytest

import enunciate
from enunciate import EnunciateError, VoiceSpec

TEXTS = ["Run kubectl on the H100.", "Our PostgreSQL query returns in 35 ms.", "Hello."]


def _snr_db(ref: np.ndarray, out: np.ndarray) -> float:
    n = min(len(ref), len(out))
    err = np.sum((ref[:n] - out[:n]) ** 2)
    return float(10 * np.log10(np.sum(ref[:n] ** 2) / max(err, 1e-20)))


def test_joe_torch_matches_onnx_with_noise_off():
    from enunciate import load_voice
    from enunciate.text.phonesets import kokoro_to_espeak

    onnx, torch_voice = load_voice("joe", 2), load_voice("joe", 2, engine="torch")
    phonemes = kokoro_to_espeak("ɹˈʌn kjˈub kəntɹˌOl ˌɔn ðə ˈAʧ wˈʌn hˈʌndɹəd.")
    a = onnx.synthesize(phonemes, noise=False)
    b = torch_voice.synthesize(phonemes, noise=False)
    assert len(a.audio) == len(b.audio) and np.array_equal(a.durations_s, b.durations_s)
    assert _snr_db(a.audio, b.audio) > 80


def test_batch_equals_single_per_item():
    voice = VoiceSpec("joe", engine="torch", threads=2)
    batch = enunciate.speak_batch(TEXTS, voice=voice, batch_size=8)
    for text, got in zip(TEXTS, batch):
        alone = enunciate.speak(text, voice=voice)
        assert [w.text for w in got.words] == [w.text for w in alone.words]
        assert len(got.audio) == len(alone.audio)
        assert _snr_db(alone.audio, got.audio) > 50


def test_batch_progress_bar_counts_every_chunk(capsys):
    out = enunciate.speak_batch(TEXTS, voice="joe", engine="torch", threads=2, batch_size=2, progress=True)
    assert len(out) == 3 and all(s.duration_s > 0.3 for s in out)
    err = capsys.readouterr().err
    assert "speaking" in err and "/3 [" in err  # a bar over the 3 chunks


def test_batch_falls_back_for_onnx_voices():
    out = enunciate.speak_batch(TEXTS[:2], voice="heart")
    assert len(out) == 2 and all(s.duration_s > 1 for s in out)
    assert np.array_equal(out[0].audio, enunciate.speak(TEXTS[0], voice="heart").audio)


@pytest.mark.parametrize("kwargs, message", [
    ({"voice": "heart", "engine": "torch"}, "no torch engine"),
    ({"voice": "joe", "engine": "onnx", "device": "cuda"}, "runs on the CPU"),
    ({"voice": "joe", "engine": "tensorrt"}, "available: onnx, torch"),
    ({"voice": "joe", "engine": "onnx", "compile": True}, "compile applies to the torch engine"),
    ({"voice": "heart", "compile": True}, "compile applies to the torch engine"),  # no torch engine to pick
    ({"voice": "kokoro", "engine": "torch", "dtype": "fp16"}, "'fp16' needs device='cuda'"),
    ({"voice": "joe", "engine": "torch", "device": "tpu"}, "available: cpu, cuda"),
])
def test_engine_errors(kwargs, message):
    with pytest.raises(EnunciateError, match=message):
        enunciate.speak("hi", **kwargs)


def test_length_buckets_grow_geometrically():
    import torch

    from enunciate.voices.compiled import bucketed, buckets

    sizes = sorted({bucketed(n, 64) for n in range(1, 1100)})
    assert sizes == [64, 96, 128, 184, 256, 368, 512, 728, 1024, 1448]
    assert all(bucketed(n, 64) >= n for n in range(1, 2000)) and bucketed(77, 1) == 77
    # padding pays only for CUDA graphs: the CPU keeps lengths as they are
    assert buckets(True, torch.device("cpu")) == (1, 1) == buckets(False, torch.device("cuda"))
    assert buckets(True, torch.device("cuda")) == (16, 64)


def test_batches_only_on_a_gpu():
    """Padded batches measured slower than single items on the CPU (benchmarks/results/gpu_throughput_cpu.md)."""
    from enunciate import load_voice
    from enunciate.synthesize import default_batch_size

    assert default_batch_size(load_voice("joe", 2, engine="torch")) == 1
    assert default_batch_size(load_voice("heart", 2)) == 1  # ONNX voices synthesize chunk by chunk
    with pytest.raises(EnunciateError, match="batch_size must be at least 1"):
        enunciate.speak_batch(TEXTS, voice="joe", engine="torch", batch_size=0)
