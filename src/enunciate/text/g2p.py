"""Words -> phonemes in the Kokoro alphabet, each with the source it came from.

Order: inline override -> user lexicons -> technical lexicon -> spelled letters -> English gold
lexicon -> silver lexicon -> (suffix rules on gold/silver) -> espeak-ng. The general lexicons are
misaki's us_gold / us_silver files, read directly (misaki's own pipeline would pull in spaCy).
"""
from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Iterable, Sequence

from .espeak import phonemize_ipa
from .lexicon import Entry, Lexicon, tech_lexicon
from .phonesets import KOKORO_VOWELS, LETTERS, espeak_to_kokoro, letter_key, letter_phonemes
from .tokens import SOURCES, Token, Word
from .words import is_article

_VOICELESS = set("ptkfθ")
_SIBILANT = set("szʃʒʧʤ")
_CONSONANTS = re.compile(r"[bcdfghjklmnpqrstvwxz]{1,4}")  # a run spelled inside a name: "ctl", "snd", "tz"
_ONSETS = {"bl", "br", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sc", "sk", "sl", "sm", "sn", "sp",
           "st", "sw", "tr", "tw", "th", "sh", "ch", "wh", "ph", "kn", "wr", "qu"}
# short words that code runs into names ("setitem", "adduser", "endblock", "subpath", "onerror")
_CODE_WORDS = set("get set has add del new old def sub pre non pop put run end top key var max min sum for out err "
                  "log tmp src dst doc lib bin app buf cmd msg len str int ptr ref obj arr idx num val env dev "
                  "pid uid gid dir net web sep on not all any".split())
# endings that are words too, but in a long word are its suffix ("acknowledge|ments")
_SUFFIX_LIKE = set("ment ments ness able ible tion tions sion sions less ship ships hood ward wards wise ling "
                   "lings ally ably ance ence ant ent ism isms ist ists ize izes ized ous ful logy ology sed".split())
_DOUBLED_ENDINGS = {"able", "ible", "ing", "ings", "ed", "er", "ers", "est", "y", "ably"}
_CODAS = {"ts", "ds", "st", "nt", "nd", "ng", "ck", "ks", "ps", "rt", "rd", "rk", "ls", "ms", "ns", "rs", "ld", "lt",
          "mp", "nk", "ft", "pt", "ct", "lf", "lk", "lm", "rm", "rn", "rb", "rp", "sk", "sp", "th", "ch", "sh",
          "gs", "bs", "vs", "ws"}
_DIGRAPHS = {"zh", "kh", "gh", "dh", "bh", "hw", "ng", "ck"}
_DIGRAPH_IN = re.compile(r"[cstpwg]h")
_WORD_EDGE = re.compile(r"^[\"'“”‘’(\[{<]+|[\"'“”‘’)\]}>]+$")


@functools.lru_cache(maxsize=1)
def general_lexicon() -> tuple[dict, dict]:
    """misaki's us_gold and us_silver dictionaries (word -> phonemes or {POS: phonemes})."""
    data = resources.files("misaki") / "data"
    gold = json.loads((data / "us_gold.json").read_text(encoding="utf-8"))
    silver = json.loads((data / "us_silver.json").read_text(encoding="utf-8"))
    return gold, silver


def _entry(value) -> str | None:
    if isinstance(value, dict):
        return value.get("DEFAULT") or next((v for v in value.values() if v), None)
    return value


@functools.lru_cache(maxsize=1)
def clear_t_words() -> frozenset[str]:
    """General-lexicon words said with a clear t instead of the flap (data/clear_t.tsv: the words
    most frequent in technical text, heard better so in benchmarks/results/clear_t_general.md)."""
    text = (resources.files("enunciate.text") / "data" / "clear_t.tsv").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if (w := line.split("#")[0].strip()))


def _general_entry(table: dict, word: str) -> str | None:
    """A general lexicon's reading of `word`, with a clear t where data/clear_t.tsv says so."""
    phonemes = _entry(table.get(word))
    if phonemes and "ɾ" in phonemes and word.lower() in clear_t_words():
        return phonemes.replace("ɾ", "t")
    return phonemes


def _plural(stem: str) -> str:
    last = stem.rstrip("ˈˌ")[-1:]
    if last in _SIBILANT:
        return stem + "ᵻz"
    return stem + ("s" if last in _VOICELESS else "z")


def _past(stem: str) -> str:
    last = stem[-1:]
    if last in "td":
        return stem + "ᵻd"
    return stem + ("t" if last in _VOICELESS | {"s", "ʃ", "ʧ"} else "d")


def _joinable(left: tuple[str, str, str], right: tuple[str, str, str], name: bool, last: bool = False) -> bool:
    """Whether two parts of a segmented name can meet where a reader would not hear one syllable
    ("tz|info" and "lib|snd" can; "Z|hang", "t|ravi|s", "schwa|rtz", "lib|era" cannot). A single
    spelled letter only opens a name ("s|dist", "c|types"). `name`: the word is capitalized, so
    more likely a person's name ("Werner" is not WER NER, "Panos" not pan OS)."""
    (a, _, kind_a), (b, _, kind_b) = left, right
    kind_a, kind_b = (k.replace("acronym", "spelled") for k in (kind_a, kind_b))
    if kind_b == "spelled" and (len(b) == 1 or a[-1] in "aeiouy" or (name and kind_a == "spelled")):
        return False
    if kind_a == "spelled":
        if b[0] in "aeiouy":
            return len(a) > 1 and a[-1] != a[-2] and a[-2:] not in _ONSETS
        if len(a) == 1:  # "t|range" would be read "trange", "l|lava" "llava"
            return (a + b[0]) not in _ONSETS | _DIGRAPHS and a != b[0]
        return (a[-1] + b[0]) not in _DIGRAPHS and not a.startswith("mc")  # "cpp|lint", "msg|pack"; not "mcc|lure"
    if kind_a == kind_b == "word" and a[-1] == b[0] and b[1:] in _DOUBLED_ENDINGS:  # "plug|gable": pluggable
        return False
    if a in _CODE_WORDS:  # "set|item", "on|error": code runs these words into names
        return not name
    if kind_b == "spelled" and last and (b in _CODAS or name):  # "acknowledgemen|ts", "Bran|dl": an ending
        return False
    return not ((kind_b == "word" or name) and b[0] in "aeiou" and a[-1] not in "aeiouy")


def _bare(phonemes: str) -> str:
    return re.sub(r"[ˈˌ ]", "", phonemes)


def spell(letters: str) -> str:
    """Letter names with secondary stress, the last one primary ("API" -> ˌA pˌi ˈI)."""
    letters = [c for c in letters if c.isalpha()]
    return " ".join(letter_phonemes(c, primary=(k == len(letters) - 1)) for k, c in enumerate(letters))


_VERSIONED = {"tool", "ml", "protocol", "database", "os", "language", "cloud", "format"}


class G2P:
    """Looks words up in order; knows() tells the normalizer which tokens are pronounceable words."""

    def __init__(self, user_lexicons: Sequence[Lexicon] = ()):
        self.user = list(user_lexicons)
        self.tech = tech_lexicon()
        self.gold, self.silver = general_lexicon()

    # -- the normalizer's view (KnownWords protocol) ----------------------------------------
    def knows(self, word: str) -> bool:
        return any(word in lex for lex in (*self.user, self.tech)) or word in self.gold

    def is_tech_term(self, word: str) -> bool:
        """The technical or a user lexicon has `word` ("IT", "API"; not "IS", which only the
        general lexicon has in capitals)."""
        return any(lex.lookup(word) is not None for lex in (*self.user, self.tech))

    def names_product(self, word: str) -> bool:
        """A technical term that takes a version after it ("glibc 2.35", "urllib3 2.2"): a tool,
        language, library, protocol, database, OS, cloud service or format."""
        entry = self.tech.lookup(word)
        return entry is not None and entry.category in _VERSIONED

    def knows_word(self, word: str) -> bool:
        """`knows`, or a silver word ("num", "len", "threads"), an inflection of a known one
        ("devices", "retries") or a run-together name ("pythonhome", "sslkeylogfile"): for words in
        capitals, which are said rather than spelled."""
        return (self.knows(word) or word in self.silver or self._with_suffix(word) is not None
                or self._compound(word) is not None or self._segmented(word) is not None)  # "NONINFRINGEMENT"

    @functools.cached_property
    def _special(self) -> list[str]:
        terms: list[str] = []
        for lex in (*self.user, self.tech):
            terms += lex.special_terms()
        return terms

    def special_terms(self) -> Iterable[str]:
        return self._special

    # -- lookups -------------------------------------------------------------------------------
    def _lexicons(self, word: str, prev: str | None, nxt: str | None) -> tuple[str, str] | None:
        for lex in (*self.user, self.tech):
            entry = lex.lookup(word, prev, nxt)
            if entry is not None:
                return entry.phonemes, entry.source
        return None

    def _general(self, word: str) -> tuple[str, str] | None:
        for table, source in ((self.gold, "gold"), (self.silver, "silver")):
            for form in (word, word.lower(), word.capitalize()):
                phonemes = _general_entry(table, form)
                if phonemes:
                    return phonemes, source
        return None

    def _with_suffix(self, word: str) -> tuple[str, str] | None:
        """An inflection of a known word: "devices", "retries", "specified", and of a technical term
        too ("tuples", "backends", "mutexes", "deserialized" from tuple, backend, mutex, deserialize)."""
        lower = word.lower()

        def known(stem: str) -> tuple[str, str] | None:
            return self._general(stem) or self._lexicons(stem, None, None)

        # "named" is name+d, not nam+ed
        rules = [("'s", _plural), ("s'", lambda s: s), ("ies", _plural), ("ied", _past), ("es", _plural),
                 ("s", _plural), ("d", _past), ("ed", _past), ("ing", lambda s: s + "ɪŋ")]
        for suffix, grow in rules:
            if not lower.endswith(suffix) or len(lower) <= len(suffix) + 2:
                continue
            if suffix in ("ies", "ied"):  # "retries", "specified": retry, specify
                found = known(lower[:-3] + "y")
                if found:
                    return grow(found[0]), found[1]
                continue
            stem = lower[: -len(suffix)]
            found = (suffix == "ing" and known(stem + "e")) or known(stem) or None  # "coding": code, not cod
            if not found and suffix in ("ed", "ing") and len(stem) > 3 and stem[-1] == stem[-2] \
                    and stem[-1] in "bdgmnprt":
                found = known(stem[:-1])  # "outputted", "unmapped": the final consonant doubled
            if found:
                return grow(found[0]), found[1]
        return None

    def word(self, word: str, prev: str | None = None, nxt: str | None = None, name: bool = False) -> tuple[str, str]:
        """One written word -> (phonemes, source). `name`: it was written capitalized (the
        normalizer lowers "Werner"), so it may be a person's name."""
        found = self._lexicons(word, prev, nxt)
        if found:
            return found
        bare = _WORD_EDGE.sub("", word)
        if bare != word and bare:
            return self.word(bare, prev, nxt)
        if len(word) == 1 and word.isupper() and letter_key(word) and word != "I":  # "I" is the pronoun
            return letter_phonemes(word), "letters"
        found = self._general(word) or self._with_suffix(word)
        if found:
            return found
        if "-" in word.strip("-"):
            parts = [self.word(p) for p in word.split("-") if p]
            weakest = max((s for _, s in parts), key=lambda s: _RANK.get(s, 0))  # the least sure part
            return " ".join(p for p, _ in parts), weakest
        if word.isupper() and 1 < len(word) <= 5 and word.isalpha() and all(map(letter_key, word)):
            return spell(word), "letters"
        name = name or (word[:1].isupper() and word[1:].islower())
        return (self._compound(word, name) or self._segmented(word, name)
                or (espeak_to_kokoro(phonemize_ipa(word)), "espeak"))

    def _compound(self, word: str, name: bool = False) -> tuple[str, str] | None:
        """A package name run together from a technical term and a word ("jsonschema",
        "gitignore", "gpustat"): both halves at least 3 letters, the first from the technical or
        user lexicons, the second from those or the general lexicon. Tried only where espeak-ng
        would otherwise guess. A second half of 4+ letters is preferred ("gpustat": GPU stat, not
        GPUs tat), then the longest first half. Python's naming habits count too: a known word
        and "py" ("satpy": sat pie), "x" and a known word ("xarray": ex array). Failing those, two
        general words of 4+ letters each ("autoescaping", "samplerate", "tailscale")."""
        if not (word.isalpha() and word.islower() and len(word) >= 5):
            return None
        affixed = [(word[:-2], "{} pˌI") if word.endswith("py") else None,
                   (word[1:], "ˈɛks {}") if word.startswith("x") else None]
        for part, form in filter(None, affixed):
            found = len(part) >= 3 and (self._lexicons(part, None, None) or self._general(part))
            if found:
                return form.format(found[0]), "compound"
        if len(word) < 6:
            return None
        splits = []
        for cut in range(3, len(word) - 2):
            head = self._lexicons(word[:cut], None, None)
            tail = head and (self._lexicons(word[cut:], None, None) or self._general(word[cut:]))
            if tail:
                splits.append((len(word) - cut >= 4, cut, head, tail))
        if not splits:  # two plain words of 4+ letters each: "autoescaping", "samplerate"
            for cut in range(4, len(word) - 3):
                head = self._general(word[:cut])
                tail = head and (self._general(word[cut:]) or self._with_suffix(word[cut:]))
                doubled = word[cut - 1] == word[cut] and word[cut + 1:] in _DOUBLED_ENDINGS  # "plug|gable"
                if tail and head[1] == "gold" and not doubled and word[cut:] not in _SUFFIX_LIKE \
                        and not (tail[1] != "gold" and word[cut:][:-1] in _SUFFIX_LIKE):
                    splits.append((True, cut, head, tail))
        if not splits:
            return None
        _, _, head, tail = max(splits, key=lambda s: s[:2])
        if name and head[1] != "gold" and not self._segmented(word, name):
            return None  # a name with a term in it: "Werner" is not WER NER, "Libera" not lib era
        return f"{head[0]} {tail[0]}", "compound"

    def _segmented(self, word: str, name: bool = False) -> tuple[str, str] | None:
        """A name run together from three or more parts, or from words and letter abbreviations
        ("threadpoolctl": thread pool C T L, "libsndfile", "tzinfo", "fsspec", "mdurl", "setitem"),
        where espeak-ng would read one made-up word. Every part must be a technical term (2+
        letters), a gold word (3+, or an inflected one of 5+) or a run of 1-4 consonants, spelled;
        not every part is spelled, and plain words are 4+ letters or code's short words. Fewest
        parts win, a spelled run counting more than a word; `_joinable` must pass where parts
        meet. `name`: written capitalized, so stricter (see `_joinable`)."""
        lower = word.lower()
        if not (word.isalpha() and (word.islower() or word[1:].islower()) and 5 <= len(word) <= 40):
            return None  # (a name is short; a longer run of letters is no name, and would cost n² lookups)
        best: list[tuple[float, list[tuple[str, str, str]]] | None] = [None] * (len(lower) + 1)
        best[0] = (0.0, [])
        for i in range(len(lower)):
            if best[i] is None:
                continue
            for j in range(i + 1, len(lower) + 1):
                part = self._part(lower[i:j], last=j == len(lower))
                if part is None and i == 0 and lower[:j] == "on" and not name:  # "onerror", "onclick"
                    part = ("on", "ˈɑn", "word")
                if part is None or (best[i][1] and not _joinable(best[i][1][-1], part, name, j == len(lower))):
                    continue  # (joinability is checked as the parts are laid, so another split can win)
                cost = best[i][0] + (1.6 if part[2] == "spelled" else 1.0)
                if best[j] is None or cost < best[j][0]:
                    best[j] = (cost, best[i][1] + [part])
        parts = best[-1][1] if best[-1] else []
        kinds = [kind for _, _, kind in parts]
        if len(parts) < 2 or all(kind == "spelled" for kind in kinds) or (name and "acronym" in kinds):
            return None  # "Werner" is not WER NER
        if all(kind == "word" for _, _, kind in parts) and (
                name or any(len(a) < 4 and a not in _CODE_WORDS for a, _, _ in parts)):
            return None  # "Peterson", "pandera" (pand era): plain words are 4+ letters or code's ("setitem")
        if not all(_joinable(a, b, name, k == len(parts) - 2) for k, (a, b) in enumerate(zip(parts, parts[1:]))):
            return None
        return " ".join(phonemes for _, phonemes, _ in parts), "compound"

    def _part(self, piece: str, last: bool) -> tuple[str, str, str] | None:
        """One part of a segmented name: (letters, phonemes, "spelled" | "term" | "word") or None.
        A consonant run is spelled unless it holds a digraph ("sch", "th"); an acronym of 3+
        letters counts as spelled; one of 2 letters only ends a name ("anyio", "mistralai")."""
        if _CONSONANTS.fullmatch(piece) and not _DIGRAPH_IN.search(piece):
            return piece, spell(piece), "spelled"
        if piece == "py":  # "pyupgrade": pie upgrade
            return piece, "pˈI", "term"
        if len(piece) >= 2 and not (last and piece in _SUFFIX_LIKE):  # "recur|sed" is no name with sed in it
            found = self._lexicons(piece, None, None)
            acronym = found and _bare(found[0]) == _bare(spell(piece))
            if found and (len(piece) > 2 or (acronym and last)):  # "io"; not "et", not "ti" inside
                return piece, found[0], "acronym" if acronym and len(piece) > 2 else "term"
        if len(piece) >= 3 and piece not in _SUFFIX_LIKE:
            found = _general_entry(self.gold, piece) or (len(piece) >= 5 and not piece.endswith("ss")
                                                      and (self._with_suffix(piece) or (None,))[0])
            if found:
                if "ˈ" not in found and "ˌ" not in found:  # "get" is weak in a sentence, not in a name
                    found = re.sub(f"([{''.join(sorted(KOKORO_VOWELS))}])", "ˈ\\1", found, count=1)
                return piece, found, "word"
        return None

    @functools.cached_property
    def _names(self) -> dict[str, list[tuple[tuple[str, ...], Entry]]]:
        """Multi-word terms ("VS Code", "Hugging Face", "Route 53") by their first word folded,
        longest first; a user lexicon's before the technical one's among names of one length."""
        names: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        for lex in (*self.user, self.tech):
            for entry in lex:
                written = tuple(entry.term.split())
                if len(written) > 1 and entry.is_default:
                    names.setdefault(written[0].casefold(), []).append((written, entry))
        for found in names.values():
            found.sort(key=lambda name: -len(name[0]))
        return names

    def _names_in(self, tokens: Sequence[Token]) -> dict[int, tuple[str, str, str] | None]:
        """Spoken-word index -> (phonemes, source, words) for the words of every multi-word name
        written by consecutive tokens with no punctuation between them; None for a word whose
        token's reading the first word of that token carries. A name's reading wins over its words'
        own ("VS" alone is versus): one phoneme group per spoken word, or per token ("KV cache":
        K V is one group), else the name is not used. A token the normalizer gave another word
        ("versus") is given the name's word back, so reports say what is heard."""
        out: dict[int, tuple[str, str, str] | None] = {}
        if not self._names:
            return out
        starts, k = [], 0
        for tok in tokens:
            starts.append(k)
            k += len(tok.spoken.split())
        t = 0
        while t < len(tokens):
            n = 0
            for written, entry in self._names.get(_written(tokens[t]).casefold(), ()):
                run = tokens[t:t + len(written)]
                said = [w for tok in run for w in tok.spoken.split()]
                groups = entry.phonemes.split()
                same = (lambda a, b: a == b) if entry.exact_case else (lambda a, b: a.casefold() == b.casefold())
                if not (len(run) == len(written) and not any(tok.punct for tok in run[:-1])
                        and all(tok.phonemes is None and same(_written(tok), w) for tok, w in zip(run, written))):
                    continue
                if len(groups) == len(said):
                    for j, (group, word) in enumerate(zip(groups, said)):
                        out[starts[t] + j] = (group, entry.source, word)
                    for j, (tok, word) in enumerate(zip(run, written)):  # "VS" read V S: no more "versus"
                        if len(tok.spoken.split()) == 1 and tok.spoken.casefold() != word.casefold():
                            out[starts[t + j]] = (out[starts[t + j]][0], entry.source, word)
                            tok.spoken = word
                elif len(groups) == len(run):
                    for j, (group, tok) in enumerate(zip(groups, run)):
                        first = starts[t + j]
                        out[first] = (group, entry.source, tok.spoken)
                        out.update({first + m: None for m in range(1, len(tok.spoken.split()))})
                else:
                    continue
                n = len(run)
                break
            t += max(n, 1)
        return out

    def tokens(self, tokens: Sequence[Token]) -> list[Word]:
        """Phonemize a sentence's tokens; runs of single letters inside a token are spelled as one
        acronym (secondary stress, the last letter primary)."""
        words: list[Word] = []
        spoken = [(tok, w) for tok in tokens for w in tok.spoken.split()]
        named = self._names_in(tokens)
        for k, (tok, text) in enumerate(spoken):
            if k in named:  # a word of a multi-word name: "VS Code" is V S code, not versus code
                if named[k] is not None:
                    phonemes, source, said = named[k]
                    words.append(Word(said, phonemes, source, tok, everyday=said.lower() in self.gold))
                continue
            if tok.phonemes is not None:
                if not words or words[-1].token is not tok:
                    words.append(Word(tok.spoken, tok.phonemes, "override", tok))
                continue
            prev = spoken[k - 1][1] if k else None
            nxt = spoken[k + 1][1] if k + 1 < len(spoken) else None
            written = tok.original.strip()
            name = written[:1].isupper() and written[1:].islower() and written.lower() == text
            phonemes, source = self.word(text, prev, nxt, name=name)
            last_of_token = k + 1 == len(spoken) or spoken[k + 1][0] is not tok
            if last_of_token and tok.kind in ("acronym_plural", "term_plural"):
                phonemes = _plural(phonemes)  # "GPUs": the letters, then /z/
            words.append(Word(text, phonemes, source, tok, everyday=text.lower() in self.gold))
        _stress_letter_runs(words)
        _weak_forms(words)
        return words


_RANK = {s: i for i, s in enumerate(SOURCES)}  # best first


def _written(token: Token) -> str:
    """A token as written, without the quotes, brackets and punctuation around it."""
    return _WORD_EDGE.sub("", token.original.strip()).rstrip(".,;:!?")


def _stress_letter_runs(words: list[Word]) -> None:
    """In "A P I", only the last letter keeps primary stress."""
    k = 0
    while k < len(words):
        j = k
        while (j < len(words) and words[j].source == "letters" and len(words[j].text) == 1
               and words[j].token is words[k].token):
            j += 1
        if j - k > 1:
            for w in words[k: j - 1]:
                w.phonemes = w.phonemes.replace("ˈ", "ˌ")
        k = max(j, k + 1)


_WEAK = {"the": ("ðə", "ði"), "a": ("ɐ", "ɐ"), "an": ("ɐn", "ɐn"), "to": ("tə", "tʊ")}  # before a consonant, a vowel


def _weak_forms(words: list[Word]) -> None:
    """Function words as Kokoro's training data says them inside a phrase: "the" is ðə before a
    consonant sound and ði before a vowel sound ("the API"), "a"/"an" are ɐ/ɐn, "to" is tə/tʊ.
    The dictionary gives citation forms (ði, A, æn, tu), which stay before a pause. A capital "A"
    is the article only when it opens the sentence ("Plan A" keeps the letter)."""
    for k, w in enumerate(words):
        forms = _WEAK.get(w.text.lower())
        if forms is None or w.source not in ("gold", "letters") or k + 1 == len(words) or w.token.punct:
            continue
        if w.text == "A" and not (k == 0 and is_article(w.token.original, words[k + 1].text, opens_sentence=True)):
            continue  # a letter, unless it opens the sentence
        first = next((ch for ch in words[k + 1].phonemes if ch not in "ˈˌ"), "")
        w.phonemes, w.source = forms[first in KOKORO_VOWELS], "gold"


def has_vowel(phonemes: str) -> bool:
    return any(ch in KOKORO_VOWELS for ch in phonemes)


__all__ = ["G2P", "general_lexicon", "spell", "LETTERS", "has_vowel"]
