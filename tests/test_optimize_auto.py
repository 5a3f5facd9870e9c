"""enunciate optimize --auto: variants timed side by side and judged by Whisper and DistillMOS; the
fastest within the budget is kept, and every other one is rejected with its reason."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.heavy  # about 1.5 min: make test-heavy (CI runs it)


def test_auto_rejects_a_variant_that_breaks_the_budget(tmp_path):
    from enunciate.optimize.auto import auto

    # 60% of joe's weights zeroed: audibly worse (at 90% it is silent and refused), and no faster
    result = auto("joe", tmp_path / "joe-auto", limit=2, rounds=1, methods=["ort-prune:sparsity=0.6"])
    (broken,) = result.tried
    assert broken.rtf is not None and not broken.kept and result.chosen is None
    assert any("below the parent's" in reason for reason in broken.reasons), broken.reasons
    assert not (tmp_path / "joe-auto").exists()  # nothing written when nothing is kept
    assert "rejected:" in "\n".join(result.lines())


def test_auto_keeps_a_variant_inside_the_budget(tmp_path):
    """A wide budget and a variant that changes nothing audible (the offline-optimized graph):
    kept if it is faster in this run, else rejected only for speed; either way the reasons say so."""
    from enunciate.optimize.auto import auto

    result = auto("heart", tmp_path / "heart-auto", budget_mos=1.0, budget_hit=1.0, limit=2, rounds=1,
                  methods=["ort-optimize"])
    (variant,) = result.tried
    if variant.kept:
        assert result.chosen is not None and (tmp_path / "heart-auto" / "voice.json").exists()
        assert result.chosen.metrics["rtf_vs_parent"] > 1 and result.chosen.provenance.method == "ort-optimize"
    else:
        assert variant.reasons and all(r.startswith("not faster") for r in variant.reasons), variant.reasons
