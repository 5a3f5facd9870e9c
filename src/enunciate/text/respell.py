"""Phonemes -> a plain-letter respelling ("nginx" -> "en-jin eks"), for voices that read letters.

Voices such as SpeechT5 take characters, not phonemes, and guess a pronunciation from the spelling
as an English reader would. For a word whose reading enunciate knows (the technical or a user's
lexicon, a compound), `written_form` writes it the way a pronunciation respelling key does:
syllables joined by hyphens, short vowels closed by a consonant ("ess"), long ones open or with a
silent e ("lite"), "eye"/"ye" for /aɪ/, "ur"/"er" for r-coloured vowels. Read back by espeak-ng (a
letter-to-sound reader standing in for such a voice), respellings of the technical lexicon come
out exactly as meant for 85% of its terms against 64% for the terms as written
(benchmarks/results/respell_roundtrip.md).
"""
from __future__ import annotations

import re

from .phonesets import KOKORO_VOWELS

SHORT = set("ɛæɪʊ")  # checked vowels: a syllable cannot end on one ("ess", not "eh-s")
ONSETS = {"pl", "pɹ", "bl", "bɹ", "tɹ", "dɹ", "kl", "kɹ", "ɡl", "ɡɹ", "fl", "fɹ", "θɹ", "ʃɹ", "st", "sp", "sk",
          "sm", "sn", "sl", "sw", "kw", "tw", "dw", "ɡw", "pj", "bj", "kj", "mj", "fj", "vj", "hj"}
CONSONANTS = {"θ": "th", "ð": "th", "ʃ": "sh", "ʒ": "zh", "ʧ": "ch", "ʤ": "j", "ŋ": "ng", "ɹ": "r", "ɡ": "g",
              "j": "y", "ɾ": "t", "ʔ": ""}
# a vowel's spelling ending a syllable, and before a consonant of the same syllable
VOWELS = {"A": ("ay", "ay"), "I": ("eye", "y"), "O": ("oh", "o"), "W": ("ow", "ow"), "Y": ("oy", "oy"),
          "i": ("ee", "ee"), "u": ("oo", "oo"), "ɑ": ("ah", "o"), "ɔ": ("aw", "aw"), "ɛ": ("eh", "e"),
          "ɜ": ("ur", "ur"), "ɪ": ("ih", "i"), "ʊ": ("oo", "u"), "ʌ": ("uh", "u"), "æ": ("a", "a"),
          "ə": ("uh", "u"), "ᵊ": ("uh", "u"), "ᵻ": ("ih", "i"), "ɚ": ("er", "er"), "ɐ": ("uh", "u"),
          "ɒ": ("ah", "o"), "e": ("eh", "e"), "o": ("oh", "o"), "a": ("a", "a"), "ɨ": ("ih", "i")}
R_COLOURED = {"ɜ": "ur", "ə": "er", "ɑ": "ar", "ɔ": "or", "ɛ": "air", "ɪ": "eer"}
SILENT_E = {"A": "a", "I": "i", "O": "o"}  # "kOd" -> "code", "lIt" -> "lite"
KNOWN_SOURCES = ("tech", "user", "override", "compound")  # readings enunciate knows beyond the spelling


def syllables(word: str) -> list[str]:
    """One word's phonemes (no stress marks) cut into syllables: a consonant between two vowels
    starts the second syllable (two if they can start an English syllable, "st", "pɹ"), except
    after a short vowel, which keeps it; an r after a vowel stays with it."""
    nuclei = [k for k, ch in enumerate(word) if ch in KOKORO_VOWELS]
    cuts = []
    for a, b in zip(nuclei, nuclei[1:]):
        if word[a:b + 2] == "Iəɹ":  # "fire": one syllable
            continue
        between = word[a + 1:b]
        if between.startswith("ɹ") and word[a] in R_COLOURED and len(between) > 1:
            between = between[1:]
        if len(between) >= 2 and between[-2:] in ONSETS:
            cuts.append(b - 2)
        elif len(between) == 1 and word[a] in SHORT and b - a == 2:
            cuts.append(b)
        elif between:
            cuts.append(b - 1)
        else:
            cuts.append(b)
    return [word[i:j] for i, j in zip([0, *cuts], [*cuts, len(word)])]


def _syllable(s: str, last: bool) -> str:
    out: list[str] = []
    k = 0
    while k < len(s):
        ch, rest = s[k], s[k + 1:]
        if ch not in KOKORO_VOWELS:
            final_s = ch == "s" and k == len(s) - 1 and k and s[k - 1] in KOKORO_VOWELS
            out.append("ss" if final_s else CONSONANTS.get(ch, ch))
            k += 1
            continue
        if ch in R_COLOURED and rest.startswith("ɹ"):
            out.append(R_COLOURED[ch])
            k += 2
        elif ch == "I" and rest.startswith("əɹ"):
            out.append("ire")  # "fire", "wire"
            k += 3
        elif ch in SILENT_E and last and len(rest) == 1 and len(CONSONANTS.get(rest, rest)) == 1:
            out.append(SILENT_E[ch] + CONSONANTS.get(rest, rest) + "e")
            k += 2
        elif ch == "I" and k:
            out.append("y" if rest else "ye")  # "pye", "byte"
            k += 1
        elif ch == "u" and out and out[-1] == "y":
            out[-1] = ""
            out.append("ew" if k > 1 else "you")  # "kew", "you"
            k += 1
        else:
            out.append(VOWELS.get(ch, (ch, ch))[1 if rest else 0])
            k += 1
    return "".join(out)


def respell(phonemes: str) -> str:
    """Kokoro-alphabet phonemes -> letters an English reader says that way ("ˈɛnʤən ˈɛks" ->
    "en-jun eks"); one word for each word of the phonemes, syllables joined by hyphens."""
    words = []
    for word in phonemes.split():
        bare = re.sub("[ˈˌː]", "", word)
        bare = "".join(ch for ch in bare if ch.isalpha() or ch in "ᵊᵻ")
        if bare:
            parts = syllables(bare)
            words.append("-".join(_syllable(p, i == len(parts) - 1) for i, p in enumerate(parts)))
    return " ".join(words)


_SAME = str.maketrans({"ᵊ": "ə", "ʌ": "ə", "ᵻ": "ɪ", "ɾ": "t", "ɚ": "ə"})


def sounds(phonemes: str) -> str:
    """Phonemes with stress, length and word breaks removed and near-identical vowels merged:
    what is compared to decide whether a spelling reads right."""
    return re.sub("[ˈˌː\\- ]", "", phonemes).translate(_SAME).replace("əɹ", "ɜɹ")


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def written_form(text: str, phonemes: str, source: str, everyday: bool = False) -> str:
    """How a word is written for a voice that reads letters: as written when its pronunciation is
    the spelling's (general-lexicon words, espeak's guesses) or it is an `everyday` word (one the
    general lexicon has in lower case: "python", "eighty") read from the technical lexicon; a letter
    as itself and an acronym as its letters ("A K S"); other readings enunciate knows (technical or
    user lexicon, compounds) respelled from their phonemes, as a voice trained on books cannot be
    expected to know "nginx" or "kubectl"."""
    if source not in (*KNOWN_SOURCES, "letters") or (len(text) == 1 and text.isalpha()):
        return text
    if everyday and source != "letters" and not text.isupper():
        return text
    if source == "letters" and text.isalpha():
        return " ".join(text.upper())
    return respell(phonemes) or text
