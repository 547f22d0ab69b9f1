"""Chinese text normalisation for matching, and sentence splitting.

Matching uses a normalised form (full-width → half-width, Traditional → Simplified, lower case);
what users see is always the original text.
"""

import functools
import re
import unicodedata

import opencc

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """The form of ``text`` used for matching: NFKC (full-width → half-width), Simplified, lower."""
    folded = unicodedata.normalize("NFKC", text)
    return _t2s().convert(folded).lower()


def split_sentences(text: str) -> list[str]:
    """Split at Chinese (and ASCII) sentence ends, keeping the punctuation with its sentence."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]
