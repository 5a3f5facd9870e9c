"""DNSMOS P.835 in torch against the speechmos wheel's ONNX model, on real renderings."""
from __future__ import annotations

import numpy as np
import pytest

import enunciate


@pytest.fixture(scope="module")
def speech():
    """Two 16 kHz renderings: heart under 9.01 s (DNSMOS loops it), joe over it (windows 1 s apart)."""
    from enunciate.audio import resample

    out = {}
    for voice, text in (("heart", "Run kubectl in 35 ms, then check the API."),
                        ("joe", "PostgreSQL 16 added logical replication from standbys, and nginx proxies the "
                                "OAuth flow to the backend on port 8080, while the CUDA kernels finish in 35 ms.")):
        r = enunciate.speak(text, voice=voice)
        out[voice] = np.clip(resample(r.audio, r.sample_rate, 16000), -1, 1).astype(np.float32)
    return out


def test_the_torch_port_scores_as_the_onnx_model(speech):
    import torch

    from enunciate.evaluate.dnsmos_torch import WINDOW, dnsmos_torch, windows
    from enunciate.evaluate.mos import load_dnsmos

    torch.set_num_threads(2)
    assert len(speech["heart"]) < WINDOW < len(speech["joe"]) - 16000
    for x in speech.values():
        onnx_scores = load_dnsmos(2)(x, 16000, False)
        with torch.no_grad():
            ours = dnsmos_torch(torch.from_numpy(x))
        for key in ("sig", "bak", "ovrl"):
            assert abs(float(ours[key]) - onnx_scores[key + "_mos"]) < 1e-4, key
    assert windows(torch.from_numpy(speech["joe"])).shape[0] == int(len(speech["joe"]) // 16000 - 9.01) + 1


def test_its_gradient_is_finite_on_silence_and_raises_the_score(speech):
    """The ONNX graph takes sqrt and squares again, whose gradient is 0/0 on exact zeros; the port
    squares the real and imaginary parts, so a clip padded with zeros has a finite gradient, and a
    small step along it raises OVRL."""
    import torch

    from enunciate.evaluate.dnsmos_torch import dnsmos_torch
    from enunciate.speakers.listener import DnsmosListener, listener

    torch.set_num_threads(2)
    x = torch.cat([torch.zeros(8000), torch.from_numpy(speech["heart"][:32000]), torch.zeros(8000)])
    x.requires_grad_(True)
    score = dnsmos_torch(x)["ovrl"]
    score.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 0
    with torch.no_grad():
        after = dnsmos_torch(x + 1e-5 * x.grad / x.grad.abs().max())["ovrl"]
    assert float(after) > float(score)
    heard = DnsmosListener("cpu")
    assert not any(p.requires_grad for p in heard.model.buffers())
    with torch.no_grad():   # the listener's batch scores each clip as dnsmos_torch does
        joe = torch.from_numpy(speech["joe"])
        both = heard.batch([x, joe])
        assert torch.allclose(both, torch.stack([score.detach(), dnsmos_torch(joe)["ovrl"]]), atol=1e-4)
    with pytest.raises(enunciate.EnunciateError, match="unknown listener 'utmos'"):
        listener("utmos", "cpu")
