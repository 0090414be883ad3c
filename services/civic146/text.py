"""Free-text helpers shared by services (Chinese text, no word segmenter needed)."""

from __future__ import annotations

_PUNCTUATION = set("，。！？、；：,.!?;:()（）“”\"'")


def bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text.lower() if not ch.isspace() and ch not in _PUNCTUATION)
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams, 0..1: works for Chinese without a word segmenter."""
    x, y = bigrams(a), bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0
