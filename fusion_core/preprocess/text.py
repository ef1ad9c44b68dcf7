"""What a person types -> a canonical question: token ids over a task's vocabulary.

Case, punctuation and spacing do not matter. Words the vocabulary lacks are refused with a
message naming them and the closest known words (difflib's ratio), because a model would read an
unknown word as nothing and answer a different question than the one asked.
"""

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import torch

from ..errors import InputError

PAD, UNKNOWN = "<pad>", "<unk>"  # ids 0 and 1 of every vocabulary
MAX_CHARS = 300
MAX_BYTES = 4096
SUGGESTIONS = 3


def normalise(text: str) -> List[str]:
    """Lower-case words: Unicode NFKC, punctuation to spaces, any white space between words."""
    text = unicodedata.normalize("NFKC", text)
    kept = "".join(ch.lower() if ch.isalnum() or ch == "'" else " " for ch in text)
    return [w.strip("'") for w in kept.split() if w.strip("'")]


@dataclass(frozen=True)
class Vocabulary:
    """The words a text encoder knows; id 0 pads, id 1 stands for a word that was lost (corruption)."""

    words: Tuple[str, ...]
    max_tokens: int

    @property
    def size(self) -> int:
        return len(self.words) + 2

    @property
    def ids(self) -> Dict[str, int]:
        return {w: i + 2 for i, w in enumerate(self.words)}

    def word(self, token: int) -> str:
        return (PAD, UNKNOWN, *self.words)[token]

    def encode(self, text: str) -> torch.Tensor:
        """A question's token ids (max_tokens,), padded with 0; a clear InputError for what cannot be read."""
        if not isinstance(text, str):
            raise InputError("the question must be text")
        if len(text) > MAX_CHARS:
            raise InputError(f"the question is {len(text)} characters long; the limit is {MAX_CHARS}: ask one short question")
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
            raise InputError("the question contains control characters: type plain text")
        words = normalise(text)
        if not words:
            raise InputError("the question is empty: type a question about the scene")
        ids = self.ids
        unknown = [w for w in dict.fromkeys(words) if w not in ids]
        if unknown:
            raise InputError(self._unknown_message(unknown))
        if len(words) > self.max_tokens:
            raise InputError(f"the question has {len(words)} words; the limit is {self.max_tokens}: ask one short question")
        tokens = torch.zeros(self.max_tokens, dtype=torch.long)
        tokens[: len(words)] = torch.tensor([ids[w] for w in words])
        return tokens

    def decode(self, tokens: torch.Tensor) -> str:
        """Token ids back to words; padding dropped, lost words shown as <unk>."""
        return " ".join(self.word(int(t)) for t in tokens.tolist() if int(t) != 0)

    def _unknown_message(self, unknown: Sequence[str]) -> str:
        parts = []
        for word in unknown:
            close = difflib.get_close_matches(word, self.words, n=SUGGESTIONS, cutoff=0.6)
            parts.append(f"'{word}'" + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""))
        return (
            f"the question has word{'s' if len(unknown) > 1 else ''} this model does not know: {', '.join(parts)}. "
            f"Known words: {', '.join(self.words)}"
        )


def decode_text_file(data: bytes) -> str:
    """A text file's bytes (UTF-8, with or without BOM, or UTF-16 with BOM) -> its text."""
    if not data:
        raise InputError("the text file is empty")
    if len(data) > MAX_BYTES:
        raise InputError(f"the text file is {len(data):,} bytes; the limit is {MAX_BYTES:,}: one question per file")
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the file is not text (UTF-8): save the question as plain text") from None
