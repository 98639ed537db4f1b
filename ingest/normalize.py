"""The one name normalisation: case, accents, punctuation, legal-form suffixes and whitespace."""

from __future__ import annotations

import re
import unicodedata

# Legal forms dropped from the end (and "the" from the start) of organisation names.
LEGAL_FORMS = {
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "plc",
    "lp",
    "llp",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "spa",
    "srl",
    "nv",
    "bv",
    "asa",
    "as",
    "ab",
    "oy",
    "oyj",
    "aps",
    "kk",
    "kg",
    "se",
    "pte",
    "pty",
    "bhd",
    "tbk",
    "jsc",
    "pjsc",
    "ooo",
    "group",
    "holdings",
    "holding",
}
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")


def normalise_name(name: str, strip_legal_forms: bool = True) -> str:
    """A comparison key: 'Hangzhou Hikvision Digital Technology Co., Ltd.' -> 'hangzhou hikvision digital technology'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()
    words = text.split(" ")
    if words and words[0] == "the":
        words = words[1:]
    if strip_legal_forms:
        while len(words) > 1 and words[-1] in LEGAL_FORMS:
            words.pop()
    return " ".join(words)


def slug(text: str, max_length: int = 80) -> str:
    """An id fragment: lower-case ASCII letters, digits and hyphens."""
    key = normalise_name(text, strip_legal_forms=False)
    key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", key).strip("-")
    return out[:max_length].rstrip("-") or "x"
