"""Phoneme alphabets and the conversions between them.

enunciate's canonical alphabet is Kokoro's (misaki's): IPA with one letter per diphthong
(A=eɪ, I=aɪ, O=oʊ, W=aʊ, Y=ɔɪ), ʤ/ʧ as single letters and ᵊ for a reduced schwa. Kokoro and hibari
read it directly; Piper voices were trained on espeak-ng's IPA, so it is converted for them.
"""
from __future__ import annotations

import re
import unicodedata

STRESS = "ˈˌ"
PUNCT = ";:,.!?—…\"()“”"
KOKORO_VOWELS = set("AIOWYaeiouæɑɐɒɔəɚɛɜɪʊʌᵊᵻɨ")
# Symbols the Kokoro-alphabet lexicons may use (us_gold/us_silver plus stress and punctuation).
KOKORO_SYMBOLS = set("AIOWYbdfhijklmnpstuvwzæðŋɑɔəɛɜɡɪɹɾʃʊʌʒʔʤʧθᵊᵻ" + "ɚ" + STRESS + PUNCT + " ")

_TO_ESPEAK = [("A", "eɪ"), ("I", "aɪ"), ("O", "oʊ"), ("W", "aʊ"), ("Y", "ɔɪ"), ("ʤ", "dʒ"),
              ("ʧ", "tʃ"), ("ᵊ", "ə")]
_LONG = set("iuɑɔ")


def kokoro_to_espeak(phonemes: str) -> str:
    """Kokoro alphabet -> espeak-ng IPA as Piper voices expect it (long vowels marked, ɚ, ɜː)."""
    out = []
    stressed = False
    chars = list(phonemes)
    for k, ch in enumerate(chars):
        nxt = chars[k + 1] if k + 1 < len(chars) else ""
        if not ch:  # consumed by the previous symbol
            continue
        if ch in STRESS:
            stressed = True
            out.append(ch)
            continue
        if ch == " " or ch in PUNCT:
            stressed = False
            out.append(ch)
            continue
        if ch == "ə" and nxt == "ɹ" and not stressed:
            out.append("ɚ")
            chars[k + 1] = ""  # consumed
            continue
        if ch == "ɜ" and nxt == "ɹ":
            # espeak writes the stressed r-coloured vowel of "bird" as ɜː (the r is implied)
            nxt2 = chars[k + 2] if k + 2 < len(chars) else ""
            out.append("ɜː")
            if nxt2 not in KOKORO_VOWELS:
                chars[k + 1] = ""
            stressed = False
            continue
        if ch in _LONG and stressed:
            out.append(ch + "ː")
            stressed = False
            continue
        mapped = dict(_TO_ESPEAK).get(ch, ch)
        out.append(mapped)
        if ch in KOKORO_VOWELS:
            stressed = False
    return "".join(out)


_FROM_ESPEAK = [("eɪ", "A"), ("aɪ", "I"), ("oʊ", "O"), ("əʊ", "O"), ("aʊ", "W"), ("ɔɪ", "Y"),
                ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ɚ", "əɹ"), ("ɐ", "ə"),
                ("ɒ", "ɑ"), ("r", "ɹ"), ("ɫ", "l"), ("x", "k"), ("ç", "h"), ("ɬ", "l"), ("e", "ɛ"),
                ("o", "O"), ("a", "æ"), ("ː", ""), ("ˑ", ""), ("͡", ""), ("̃", ""), ("ʲ", ""), ("̩", "")]
_FROM_ESPEAK_RE = re.compile("|".join(re.escape(a) for a, _ in _FROM_ESPEAK))


def espeak_to_kokoro(phonemes: str) -> str:
    """espeak-ng IPA -> Kokoro alphabet (diphthongs to single letters, length marks dropped)."""
    table = dict(_FROM_ESPEAK)
    return _FROM_ESPEAK_RE.sub(lambda m: table[m.group(0)], phonemes)


def unknown_symbols(phonemes: str, symbols: set[str] | dict) -> list[str]:
    """Symbols of `phonemes` that are not in a voice's symbol table, in order of appearance."""
    seen: list[str] = []
    for ch in phonemes:
        if ch not in symbols and ch not in seen:
            seen.append(ch)
    return seen


# Letter names, for spelling acronyms ("API" -> A P I). Stress is set by spell_letters().
LETTERS = {
    "A": "A", "B": "bi", "C": "si", "D": "di", "E": "i", "F": "ɛf", "G": "ʤi", "H": "Aʧ",
    "I": "I", "J": "ʤA", "K": "kA", "L": "ɛl", "M": "ɛm", "N": "ɛn", "O": "O", "P": "pi",
    "Q": "kju", "R": "ɑɹ", "S": "ɛs", "T": "ti", "U": "ju", "V": "vi", "W": "dʌbᵊlju", "X": "ɛks",
    "Y": "wI", "Z": "zi",
}


# Letters without a decomposition to a base letter, read as the letter they are written like.
_LIKE = {"Ø": "O", "Æ": "A", "Œ": "O", "ß": "S", "ẞ": "S", "Ð": "D", "Þ": "T", "Ł": "L", "Đ": "D",
         "Ħ": "H", "ı": "I"}


def letter_key(letter: str) -> str | None:
    """The LETTERS key a letter is named by: itself, its base letter ("É" E, "Å" A), or the letter
    it is written like ("Ø" O, "ß" S); None for a letter of another script."""
    up = letter.upper() if len(letter.upper()) == 1 else letter
    if up in LETTERS:
        return up
    base = unicodedata.normalize("NFKD", up)[:1]
    return base if base in LETTERS else _LIKE.get(up) or _LIKE.get(letter)


def letter_phonemes(letter: str, primary: bool = True) -> str:
    """One letter's name with its stress mark before the vowel ("B" -> "bˈi"); accented letters
    by their base letter ("É" -> "ˈi"). KeyError for a letter of another script."""
    key = letter_key(letter)
    if key is None:
        raise KeyError(letter)
    name = LETTERS[key]
    mark = "ˈ" if primary else "ˌ"
    if key == "W":
        return "dˈʌbᵊljˌu" if primary else "dˌʌbᵊlju"
    for k, ch in enumerate(name):
        if ch in KOKORO_VOWELS:
            return name[:k] + mark + name[k:]
    return mark + name
