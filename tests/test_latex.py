"""Inline math in Markdown ("$O(n^2)$") and RST (:math:) is read as words, not dollar signs."""
from __future__ import annotations

import pytest

import enunciate
from enunciate.text.latex import latex_words


@pytest.mark.parametrize("tex, words", [
    ("O(n^2)", "O of N squared"),
    (r"O(n \log n)", "O of N log N"),
    (r"O(|V|/(\log|V|)^2)", "O of V over log V squared"),
    (r"\frac{1}{\sqrt{d_k}}", "1 over the square root of D sub K"),
    (r"x_i + y_{i+1}", "X sub I plus Y sub I plus 1"),
    (r"e^{-x}", "E to the power of minus X"),
    (r"A^{-1} W^T", "A inverse W transposed"),
    (r"\alpha \le 0.5", "alpha less than or equal to 0.5"),
    (r"\mathbf{x} \in \mathbb{R}^n", "X in R to the power of N"),
])
def test_latex_words(tex, words):
    assert latex_words(tex) == words


@pytest.mark.parametrize("text, spoken", [
    ("Max clique runs in $O(n^2)$ time.", "max clique runs in O of N squared time"),
    ("Scale by $\\frac{a}{b}$.", "scale by A over B"),                 # letters, not the article "a"
    ("It costs $5 or $10.", "it costs five dollars or ten dollars"),  # prices are not math
    ("Set $HOME and $PATH.", "set dollar HOME and dollar PATH"),       # nor shell variables
    ("Code `$x$` stays.", "code dollar X dollar stays"),               # nor code
])
def test_markdown_math(text, spoken):
    assert " ".join(w.spoken for w in enunciate.phonemize(text).words).lower() == spoken.lower()


def test_rst_math_role_and_dollars():
    text = "Runs in :math:`O(n \\log n)` or $O(n^2)$ steps."
    said = [w.spoken for w in enunciate.phonemize(text, markup="rst").words]
    assert said == ["runs", "in", "O of N log N", "or", "O of N squared", "steps"]


def test_display_math_blocks():
    md = "Attention is\n\n$$\n\\mathrm{softmax}(QK^T / \\sqrt{d_k}) V\n$$\n\nwhere d is small.\n"
    rst = ("Attention is\n\n.. math::\n   :label: att\n\n"
           "   \\mathrm{softmax}(QK^T / \\sqrt{d_k}) V\n\nwhere d is small.\n")
    for text, markup in ((md, "markdown"), (rst, "rst")):
        words = enunciate.phonemize(text, markup=markup).words
        assert [w.spoken for w in words][2] == "softmax Q K transposed over the square root of D sub K V"
        assert text[words[2].span[0]:words[2].span[1]].strip().startswith(("$$", ".. math::"))
    unclosed = enunciate.phonemize("Intro.\n\n$$\nx^2\n")
    assert [s.reason for s in unclosed.skipped] == ["unclosed math block not read aloud"]


def test_layout_commands_are_not_read():
    """torch.optim's docstrings write their algorithms in an aligned block with rules, spaces and
    bold keywords: the layout is silent, line breaks are pauses, "\\leftarrow" is assignment."""
    from enunciate.text.latex import latex_words

    tex = (r"\begin{aligned} &\rule{110mm}{0.4pt} \\ &\textbf{input} : \gamma \text{(lr)}, \: \beta_1 \\"
           r" &\hspace{13mm} m_0 \leftarrow 0 \end{aligned}")
    said = latex_words(tex)
    assert said == ", input : gamma lr , beta sub 1 , M sub 0 gets 0"
    assert not any(word in said for word in ("begin", "aligned", "rule", "110", "hspace", "textbf", "and"))


@pytest.mark.parametrize("tex, spoken", [
    (r"\sum_{k = 0}^{C_{in} - 1} w_k", "the sum from K equals 0 to C sub in minus 1 W sub K"),  # torch's Conv2d
    (r"\int_0^1 f(x) dx", "the integral from 0 to 1 F X dx"),
    (r"\lim_{n \to \infty} a_n", "the limit as N to infinity A sub N"),
    (r"\max_{\theta} L(\theta)", "max over theta L theta"),
    (r"(*)", "star"),                                           # PyTorch's shapes: any number of dimensions
    (r"a * b", "A times B"),
])
def test_big_operators_read_their_limits(tex, spoken):
    from enunciate.text.latex import latex_words

    assert latex_words(tex) == spoken
