"""The SSML reader: every element becomes tokens whose spans slice the original SSML, and hostile
or malformed input is refused quickly with a message that names the place."""
from __future__ import annotations

import logging
import time
import tracemalloc

import pytest

import enunciate
from enunciate.errors import EnunciateError
from enunciate.pipeline import frontend
from enunciate.text.chunk import sentences
from enunciate.text.document import paragraphs
from enunciate.text.ssml import ssml_paragraphs
from enunciate.text.tokens import Token

LOGGER = "enunciate.text.ssml"


@pytest.fixture(scope="module")
def g2p():
    return frontend()


def check_spans(text: str, tokens: list[Token]) -> None:
    for tok in tokens:
        assert text[tok.span[0]:tok.span[1]] == tok.original, tok
    starts = [t.span[0] for t in tokens]
    assert starts == sorted(starts)


def read(text: str, g2p) -> list[Token]:
    """All tokens of all paragraphs, after checking that their spans slice `text`."""
    tokens = [tok for para in ssml_paragraphs(text, g2p) for tok in para.tokens]
    check_spans(text, tokens)
    return tokens


def speak(body: str) -> str:
    return f"<speak>{body}</speak>"


def said(tokens: list[Token]) -> str:
    return " ".join(t.spoken for t in tokens if t.spoken)


# (body inside <speak>, the token under test's original, spoken, kind, other fields expected)
ELEMENTS = [
    ('<break time="500ms"/>', '<break time="500ms"/>', "", "break", {"pause_after_s": 0.5}),
    ('<break time="2s"/>', '<break time="2s"/>', "", "break", {"pause_after_s": 2.0}),
    ('<break time="1.5s"/>', '<break time="1.5s"/>', "", "break", {"pause_after_s": 1.5}),
    ('<break time="250 MS"></break>', '<break time="250 MS"></break>', "", "break", {"pause_after_s": 0.25}),
    ("<break/>", "<break/>", "", "break", {"pause_after_s": 0.4}),
    ('<break strength="none"/>', '<break strength="none"/>', "", "break", {"pause_after_s": 0.0}),
    ('<break strength="x-weak"/>', '<break strength="x-weak"/>', "", "break", {"pause_after_s": 0.1}),
    ('<break strength="weak"/>', '<break strength="weak"/>', "", "break", {"pause_after_s": 0.2}),
    ('<break strength="medium"/>', '<break strength="medium"/>', "", "break", {"pause_after_s": 0.4}),
    ('<break strength="strong"/>', '<break strength="strong"/>', "", "break", {"pause_after_s": 0.7}),
    ('<break strength="x-strong"/>', '<break strength="x-strong"/>', "", "break", {"pause_after_s": 1.2}),
    ('<break time="300ms" strength="x-strong"/>', '<break time="300ms" strength="x-strong"/>', "", "break",
     {"pause_after_s": 0.3}),
    ('<phoneme alphabet="ipa" ph="təˈmɑːtoʊ">tomato</phoneme>', "tomato", "tomato", "override",
     {"phonemes": "təˈmɑtO"}),
    ('<phoneme ph="ˈkjuːbˌkʌtəl">kubectl</phoneme>', "kubectl", "kubectl", "override",
     {"phonemes": "ˈkjubˌkʌtəl"}),
    ('<phoneme alphabet="kokoro" ph="kˈjubkˌʌtᵊl">kubectl</phoneme>', "kubectl", "kubectl", "override",
     {"phonemes": "kˈjubkˌʌtᵊl"}),
    ('<phoneme alphabet="misaki" ph="nˈAʧ">nach</phoneme>', "nach", "nach", "override", {"phonemes": "nˈAʧ"}),
    ('<say-as interpret-as="characters">abc</say-as>', "abc", "A B C", "letters", {}),
    ('<say-as interpret-as="spell-out">GPU4</say-as>', "GPU4", "G P U four", "letters", {}),
    ('<say-as interpret-as="cardinal">1,234</say-as>', "1,234", "one thousand two hundred thirty four",
     "number", {}),
    ('<say-as interpret-as="cardinal">-3.5</say-as>', "-3.5", "minus three point five", "number", {}),
    ('<say-as interpret-as="cardinal">12345678901</say-as>', "12345678901",
     "twelve billion three hundred forty five million six hundred seventy eight thousand nine hundred one",
     "number", {}),
    ('<say-as interpret-as="cardinal">' + "7" * 50 + "</say-as>", "7" * 50, " ".join(["seven"] * 50),
     "number", {}),
    ('<say-as interpret-as="ordinal">3</say-as>', "3", "third", "ordinal", {}),
    ('<say-as interpret-as="ordinal">22nd</say-as>', "22nd", "twenty second", "ordinal", {}),
    ('<say-as interpret-as="number" format="ordinal">101</say-as>', "101", "one hundred first", "ordinal", {}),
    ('<say-as interpret-as="digits">2024</say-as>', "2024", "two zero two four", "number", {}),
    ('<say-as interpret-as="date" format="mdy">12/25/2024</say-as>', "12/25/2024",
     "december twenty fifth twenty twenty four", "date", {}),
    ('<say-as interpret-as="date" format="dmy">25.12.2024</say-as>', "25.12.2024",
     "december twenty fifth twenty twenty four", "date", {}),
    ('<say-as interpret-as="date" format="ymd">2026-03-05</say-as>', "2026-03-05",
     "march fifth twenty twenty six", "date", {}),
    ('<say-as interpret-as="date">2026-03-05</say-as>', "2026-03-05", "march fifth twenty twenty six",
     "date", {}),
    ('<say-as interpret-as="date" format="md">7/4</say-as>', "7/4", "july fourth", "date", {}),
    ('<say-as interpret-as="date" format="y">2005</say-as>', "2005", "two thousand five", "date", {}),
    ('<say-as interpret-as="time">7:30pm</say-as>', "7:30pm", "seven thirty P M", "time", {}),
    ('<say-as interpret-as="time">19:45</say-as>', "19:45", "nineteen forty five", "time", {}),
    ('<say-as interpret-as="telephone">+1 (555) 123-4567</say-as>', "+1 (555) 123-4567",
     "plus one five five five one two three four five six seven", "phone", {}),
    ('<say-as interpret-as="verbatim">a.b-c_d!</say-as>', "a.b-c_d!",
     "A dot B dash C underscore D exclamation mark", "letters", {}),
    ('<sub alias="World Wide Web">WWW</sub>', "WWW", "world wide web", "sub", {}),
    ('<sub alias="version 2">v2</sub>', "v2", "version two", "sub", {}),
    ('<sub alias="">[1]</sub>', "[1]", "", "sub", {}),
    ('<prosody rate="x-slow">word</prosody>', "word", "word", "word", {"rate": 0.6}),
    ('<prosody rate="slow">word</prosody>', "word", "word", "word", {"rate": 0.8}),
    ('<prosody rate="medium">word</prosody>', "word", "word", "word", {"rate": 1.0}),
    ('<prosody rate="fast">word</prosody>', "word", "word", "word", {"rate": 1.25}),
    ('<prosody rate="x-fast">word</prosody>', "word", "word", "word", {"rate": 1.5}),
    ('<prosody rate="80%">word</prosody>', "word", "word", "word", {"rate": 0.8}),
    ('<prosody rate="+20%">word</prosody>', "word", "word", "word", {"rate": 1.2}),
    ('<prosody rate="1.2">word</prosody>', "word", "word", "word", {"rate": 1.2}),
    ('<prosody rate="slow"><prosody rate="150%">word</prosody></prosody>', "word", "word", "word",
     {"rate": 1.2}),
    ('<prosody rate="fast"><say-as interpret-as="characters">k8s</say-as></prosody>', "k8s", "K eight S",
     "letters", {"rate": 1.25}),
    ('<emphasis level="strong">word</emphasis>', "word", "word", "word", {}),
    ('<s><emphasis><prosody rate="slow">word</prosody></emphasis></s>', "word", "word", "word",
     {"rate": 0.8, "punct": "."}),
]


@pytest.mark.parametrize("body, original, spoken, kind, fields", ELEMENTS, ids=[e[0][:48] for e in ELEMENTS])
def test_element(g2p, body, original, spoken, kind, fields):
    text = speak(f"Before {body} after")
    tokens = read(text, g2p)
    assert [t.original for t in tokens[:1] + tokens[-1:]] == ["Before", "after"]
    (tok,) = [t for t in tokens if t.original == original]
    assert (tok.spoken, tok.kind) == (spoken, kind)
    content = text.index(original)
    assert tok.span == (content, content + len(original))
    for name, value in fields.items():
        assert getattr(tok, name) == (pytest.approx(value) if isinstance(value, float) else value), name
    if "rate" not in fields:
        assert tok.rate == 1.0
    if tok.kind == "break":
        assert tok.phonemes is None and not tok.spoken


def test_override_words_use_the_given_phonemes(g2p):
    words = g2p.tokens(read(speak('say <phoneme alphabet="ipa" ph="ˈdʒɪf">GIF</phoneme>'), g2p))
    assert [(w.text, w.phonemes, w.source) for w in words][-1] == ("GIF", "ˈʤɪf", "override")


def test_paragraphs_and_sentences(g2p):
    text = speak("Top level text <p><s>First one</s><s>Second one?</s></p> more top level "
                 "<p>Third</p> tail")
    paras = list(ssml_paragraphs(text, g2p))
    assert [(p.kind, p.pause_s) for p in paras] == [("paragraph", 0.5)] * 5
    assert [said(p.tokens) for p in paras] == ["top level text", "first one second one", "more top level",
                                               "third", "tail"]
    assert [t.punct for t in paras[1].tokens if t.spoken] == ["", ".", "", "?"]


def test_s_makes_sentences_of_its_own(g2p):
    text = speak("<p>Lead in <s>First one</s><s>Second one?</s> trailing words</p>")
    (para,) = ssml_paragraphs(text, g2p)
    runs = [" ".join(t.original for t in run if t.spoken) for run in sentences(para.tokens)]
    assert runs == ["Lead in", "First one", "Second one", "trailing words"]
    assert [t.punct for t in para.tokens if t.spoken] == ["", ".", "", ".", "", "?", "", ""]


def test_top_level_text_splits_at_p(g2p):
    text = speak("Alpha beta <p>Gamma</p> delta <p>Epsilon</p>")
    paras = list(ssml_paragraphs(text, g2p))
    assert [said(p.tokens) for p in paras] == ["alpha beta", "gamma", "delta", "epsilon"]
    for p in paras:
        check_spans(text, p.tokens)


def test_breaks_rates_and_sentences_cut_where_the_pipeline_expects(g2p):
    text = speak('One two <break time="1s"/> three <prosody rate="slow">four five</prosody> six.')
    (para,) = ssml_paragraphs(text, g2p)
    runs = [[t.original for t in run] for run in sentences(para.tokens)]
    assert runs == [["One", "two", '<break time="1s"/>'], ["three"], ["four", "five"], ["six"], ["."]]


@pytest.mark.parametrize("body, spoken", [
    ("AT&amp;T", "A T and T"),
    ("it&#8217;s fine", "it's fine"),
    ("rock &amp; roll", "rock and roll"),
    ("&lt;tag&gt;", None),
    ("&#x41;PI", "API"),
    ("say &quot;hi&quot;", "say hi"),
    ("caf&#233; &apos;au lait&apos;", None),
    ("<![CDATA[A & B]]>", "A and B"),
    ("before <!-- a comment --> after", "before after"),
    ("tab&#9;separated", "tab separated"),
])
def test_entity_references_keep_spans(g2p, body, spoken):
    text = speak(body)
    tokens = read(text, g2p)
    if spoken is not None:
        assert said(tokens) == spoken
    assert tokens
    assert all("\u2060" not in t.original for t in tokens)


def test_entity_inside_a_word_is_one_token(g2p):
    text = speak("AT&amp;T and it&#8217;s")
    tokens = read(text, g2p)
    assert [t.original for t in tokens] == ["AT&amp;T", "and", "it&#8217;s"]


def test_entities_in_special_elements(g2p):
    text = speak('<sub alias="Research &amp; Development">R&amp;D</sub> '
                 '<say-as interpret-as="characters">A&amp;B</say-as>')
    tokens = read(text, g2p)
    assert [(t.original, t.spoken) for t in tokens] == [("R&amp;D", "research and development"),
                                                        ("A&amp;B", "A B")]


def test_punctuation_after_an_element_goes_to_it(g2p):
    tokens = read(speak('Visit <sub alias="World Wide Web">WWW</sub>, then stop.'), g2p)
    assert [(t.original, t.punct) for t in tokens if t.spoken] == [("Visit", ""), ("WWW", ","),
                                                                    ("then", ""), ("stop", ".")]


def test_xml_declaration_and_whitespace_before_speak(g2p):
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<speak version="1.1" ' \
           'xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">Héllo wörld</speak>\n'
    tokens = read(text, g2p)
    assert [t.original for t in tokens] == ["Héllo", "wörld"]


def test_multibyte_text_keeps_character_offsets(g2p):
    text = speak("日本 naïve 😀 <break time=\"1s\"/> résumé <sub alias=\"ok\">✓</sub>")
    tokens = read(text, g2p)
    assert [t.original for t in tokens][-3:] == ['<break time="1s"/>', "résumé", "✓"]


@pytest.mark.parametrize("body", ["", "   \n  ", "<p></p>", "<p> <s> </s> </p>", '<mark name="x"/>',
                                  "<!-- nothing -->"])
def test_empty_speak_gives_no_tokens(g2p, body):
    paragraphs = list(ssml_paragraphs(speak(body), g2p))
    assert not any(p.tokens for p in paragraphs)
    assert [m for p in paragraphs for m in p.marks] == ([("x", (7, 23))] if "mark" in body else [])


@pytest.mark.parametrize("text, where", [
    ("<speak><p>unclosed</speak>", "line 1, column 21"),
    ("<speak>\n<p>hi</s></p></speak>", "line 2, column 8"),
    ("<speak>hi</speak> trailing text", "line 1, column 19"),
    ("<speak>hi", "line 1, column 10"),
    ("<speak>a &nbsp; b</speak>", "line 1, column 10"),
    ("<speak>a < b</speak>", "line 1, column 11"),
    ("", "line 1, column 1"),
])
def test_malformed_ssml(g2p, text, where):
    with pytest.raises(EnunciateError, match=f"malformed SSML at {where}: "):
        list(ssml_paragraphs(text, g2p))


def test_root_must_be_speak(g2p):
    with pytest.raises(EnunciateError, match="<speak> as its root element, not <p>"):
        list(ssml_paragraphs("<p>hi</p>", g2p))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<speak>&lol9;</speak>"""


def test_billion_laughs_is_refused_fast_in_bounded_memory(g2p):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(EnunciateError, match=r"may not declare a DOCTYPE or entities \(line 2, column 1\)"):
            list(ssml_paragraphs(BILLION_LAUGHS, g2p))
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 50 * 2**20


@pytest.mark.parametrize("text", [
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>',
    '<?xml version="1.0"?><!DOCTYPE speak SYSTEM "http://example.invalid/evil.dtd"><speak>hi</speak>',
    '<!DOCTYPE speak><speak>hi</speak>',
    '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><speak>hi</speak>',
])
def test_doctypes_and_external_entities_are_refused(g2p, text):
    with pytest.raises(EnunciateError, match="may not declare a DOCTYPE or entities"):
        list(ssml_paragraphs(text, g2p))


def test_deep_nesting_is_refused(g2p):
    text = speak("<emphasis>" * 1000 + "x" + "</emphasis>" * 1000)
    with pytest.raises(EnunciateError, match="nests elements"):
        list(ssml_paragraphs(text, g2p))


def test_hour_long_break_is_capped_with_a_warning(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('Wait <break time="3600s"/> done'), g2p)
    assert tokens[1].pause_after_s == 10.0
    assert "capped at 10 s" in caplog.text


@pytest.mark.parametrize("tag, message", [
    ('<break time="abc"/>', r"bad <break time='abc'> at line 2, column 3"),
    ('<break time="-1s"/>', r"bad <break time='-1s'> at line 2, column 3"),
    ('<break strength="loud"/>', r"bad <break strength='loud'> at line 2, column 3.*x-strong"),
    ('<prosody rate="warp">x</prosody>', r"bad <prosody rate='warp'> at line 2, column 3.*x-fast"),
])
def test_bad_attribute_values_name_the_place(g2p, tag, message):
    with pytest.raises(EnunciateError, match=message):
        list(ssml_paragraphs(f"<speak>\n  {tag}</speak>", g2p))


def test_rate_is_clamped_with_a_warning(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('<prosody rate="400%">quick</prosody> <prosody rate="10%">slow</prosody>'), g2p)
    assert [t.rate for t in tokens] == [2.0, 0.5]
    assert "clamped to 2.00" in caplog.text and "clamped to 0.50" in caplog.text


def test_pitch_and_volume_are_ignored_with_one_warning(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('<prosody pitch="high">a</prosody> <prosody volume="loud">b</prosody>'), g2p)
    assert said(tokens) == "a B" and all(t.rate == 1.0 for t in tokens)
    assert len([r for r in caplog.records if "prosody" in r.getMessage()]) == 1


def test_unknown_interpret_as_warns_and_reads_normally(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('<say-as interpret-as="unit">35 ms</say-as>'), g2p)
    assert said(tokens) == "thirty five milliseconds"
    assert "interpret-as='unit'" in caplog.text


def test_say_as_that_does_not_fit_warns_and_reads_normally(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('<say-as interpret-as="cardinal">many</say-as>'), g2p)
    assert said(tokens) == "many"
    assert "cannot read 'many'" in caplog.text


@pytest.mark.parametrize("attrs, bad", [
    ('ph="tɯk"', "'ɯ'"),
    ('alphabet="kokoro" ph="hɛlO1"', "'1'"),
    ('ph="ħa ʕa"', "'ħ', 'ʕ'"),
])
def test_phonemes_outside_the_alphabet_are_an_error(g2p, attrs, bad):
    with pytest.raises(EnunciateError, match=f"line 2, column 1 has symbols outside .*: {bad}$"):
        list(ssml_paragraphs(f"<speak>\n<phoneme {attrs}>word</phoneme></speak>", g2p))


def test_unsupported_phoneme_alphabet_warns_and_reads_the_word(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('<phoneme alphabet="x-sampa" ph="t@\'meItoU">tomato</phoneme>'), g2p)
    assert [(t.spoken, t.phonemes) for t in tokens] == [("tomato", None)]
    assert "x-sampa" in caplog.text


def test_unknown_element_is_read_with_a_warning(g2p, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        tokens = read(speak('Hello <foo bar="1">big world</foo> <audio src="x.wav">a beep</audio>'
                            '<mark name="here"/> end'), g2p)
    assert said(tokens) == "hello big world a beep end"
    assert "<foo>" in caplog.text and "<audio>" in caplog.text
    assert "mark" not in caplog.text


def test_silent_elements_say_nothing(g2p):
    tokens = read(speak("a <metadata>not this</metadata> <desc>nor this</desc> b"), g2p)
    assert said(tokens) == "a B"


def test_document_auto_detects_ssml(g2p):
    text = '<?xml version="1.0"?>\n<speak>Read <say-as interpret-as="characters">ssml</say-as></speak>'
    tokens = [t for p in paragraphs(text, g2p) for t in p.tokens]
    assert [(t.original, t.spoken) for t in tokens] == [("Read", "read"), ("ssml", "S S M L")]


def test_phonemize_end_to_end():
    text = ('<speak><p>Deploy <sub alias="Kubernetes">k8s</sub> &amp; '
            '<phoneme alphabet="ipa" ph="ˈɡɪt">git</phoneme> <break time="300ms"/>'
            '<say-as interpret-as="characters">NVIDIA</say-as>.</p></speak>')
    report = enunciate.phonemize(text)
    assert [w.text for w in report.words] == ["Deploy", "k8s", "&amp;", "git", "NVIDIA"]
    for w in report.words:
        assert text[w.span[0]:w.span[1]] == w.text
        assert w.phonemes
    by_text = {w.text: w for w in report.words}
    assert by_text["git"].phonemes == "ˈɡɪt" and by_text["git"].source == "override"
    assert by_text["k8s"].spoken == "kubernetes"
    assert by_text["NVIDIA"].spoken == "N V I D I A"
