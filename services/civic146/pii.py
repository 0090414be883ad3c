"""Personal data: validation (mainland mobile numbers, 18-digit resident ID numbers) and masking.

Raw personal data is stored by the owning service only; responses to roles that don't need it,
events and logs carry the masked forms.

Free text (scrub_text) is where residents and staff write personal data the forms never asked
for. What is masked there, and what cannot be:
- mobile numbers and 18-character ID numbers, however they are written: half- or full-width
  digits (the text is NFKC-folded character by character before it is searched, so `１３９…`
  is seen as `139…`), +86/86 prefixed, in groups with spaces or hyphens (`138-1234-1234`,
  `110105 19700101 088X`);
- the names the service knows for the record: raw names it holds (the submitter, the parties,
  a contact person), and names it was told about only as keyed digests (NameDigests: another
  service knew the name and sent its digest, so this one recognises it without ever holding it);
- not: a name the platform was never told (a neighbour named only in the text), nicknames and
  forms of address (老王, 王阿姨), landline numbers, addresses.
Only the masked spans change: everything else stays as it was typed (full-width punctuation too).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only: \d also matches full-width ones
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# In free text (after folding): an 18-character ID or an 11-digit mobile not glued to other
# digits, their digits optionally in groups separated by one space or hyphen (6-8-4, 6-4-4-4,
# 3-4-4, 3-3-5, ...); a mobile also +86 / 86 prefixed.
_SEP = r"[ \-‐‑‒–—−]?"
_ID_IN_TEXT = re.compile(rf"(?<![\dXx])(?<![\dXx]{_SEP[:-1]})\d(?:{_SEP}\d){{16}}{_SEP}[\dXx](?![\dXx])")
_MOBILE_IN_TEXT = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?!\d)")
_DIGITS = re.compile(r"[^\dXx]")
# Names recognised by digest: runs of Han characters (and the middle dot of transliterated names),
# 2 to 4 characters long: the length of nearly every Chinese name, surname included.
DIGEST_NAME_LENGTHS = range(2, 5)
_NAME_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef·]{2,}")


def is_mobile(value: str) -> bool:
    return bool(MOBILE.match(value))


def id_number_problem(value: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643-1999) is invalid, or None if it is valid."""
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):  # ASCII: \d matches other scripts' digits too
        return "must be 17 digits followed by a digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "contains an impossible birth date"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != value[17]:
        return "check digit does not match"
    return None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


class _Fold(dict):
    """str.translate table: each character to its NFKC form when that is one character (full-width
    digits and letters, the ideographic space, ...), else unchanged. One character for one, so
    a span found in the folded text is the same span in the original. Filled as characters are met."""

    def __missing__(self, code: int) -> int:
        folded = unicodedata.normalize("NFKC", chr(code))
        self[code] = value = ord(folded) if len(folded) == 1 else code
        return value


_FOLD = _Fold()


def fold(text: str) -> str:
    return text if text.isascii() else text.translate(_FOLD)


# --- names known only by digest ----------------------------------------------------------------------


def name_key(secret: str) -> bytes:
    """The key of name digests, derived from the secret every service holds (JWT_SECRET); the
    prefix keeps it apart from any other use of that secret (e.g. civic146.auth.pseudonym)."""
    return hmac.new(secret.encode(), b"name-digest", hashlib.sha256).digest()


def _hasher(key: bytes):
    return hashlib.blake2b(key=key, digest_size=16)


def name_digest(key: bytes, name: str) -> str:
    """Keyed blake2b of the folded name's code points (UTF-32-LE: fixed width, so that a scan can
    encode a run of text once and hash its slices)."""
    h = _hasher(key)
    h.update(fold(name).encode("utf-32-le"))
    return h.hexdigest()


def name_digests(key: bytes, names: Iterable[str | None]) -> list[str]:
    """Digests of the names a consumer should recognise (those of DIGEST_NAME_LENGTHS characters;
    a longer or shorter name is not sent). Sorted, without repeats: the list says nothing about
    order or roles. Without the key, a digest can be neither reversed nor recomputed."""
    return sorted({name_digest(key, n) for n in names if n and len(fold(n).strip()) in DIGEST_NAME_LENGTHS})


@dataclass(frozen=True)
class NameDigests:
    """Names a service was told about only by digest, with the key that recognises them in text."""

    key: bytes
    digests: frozenset[str]

    def spans(self, folded: str) -> Iterable[tuple[int, int]]:
        """Where in `folded` a run of 2-4 Han characters has one of the digests: longest first at
        each place, then on after it."""
        if not self.digests:
            return
        wanted = {bytes.fromhex(d) for d in self.digests}
        base = _hasher(self.key)
        lengths = tuple(reversed(DIGEST_NAME_LENGTHS))
        for run in _NAME_RUN.finditer(folded):
            start, end = run.start(), run.end()
            code_points = run.group(0).encode("utf-32-le")
            i = start
            while i < end - 1:
                for length in lengths:
                    if i + length > end:
                        continue
                    h = base.copy()
                    h.update(code_points[4 * (i - start) : 4 * (i - start + length)])
                    if h.digest() in wanted:
                        yield i, i + length
                        i += length
                        break
                else:
                    i += 1


def known_by_digest(key: bytes, digests: Iterable[str]) -> NameDigests:
    return NameDigests(key, frozenset(digests))


# --- scrubbing -------------------------------------------------------------------------------------


def scrub_text(
    text: str | None, names: Iterable[str | None] = (), digests: NameDigests | None = None
) -> str | None:
    """`text` as it may leave the service: mobile and ID numbers masked however they are written,
    and the names the service knows for the record masked: `names` (raw, any length of 2 or more)
    and `digests` (names it knows only by digest). See the module's docstring for what cannot be."""
    if not text:
        return text
    folded = fold(text)
    spans: list[tuple[int, int, str]] = []
    taken = bytearray(len(text))  # 1 where a span was masked already: the first kind found keeps it

    def add(start: int, end: int, replacement: str) -> None:
        if taken.find(1, start, end) == -1:
            spans.append((start, end, replacement))
            taken[start:end] = b"\x01" * (end - start)

    for m in _ID_IN_TEXT.finditer(folded):
        add(m.start(), m.end(), mask_id_number(_DIGITS.sub("", m.group(0)).upper()))
    for m in _MOBILE_IN_TEXT.finditer(folded):
        add(m.start(), m.end(), mask_phone(_DIGITS.sub("", m.group(1))))
    wanted = sorted({fold(n) for n in names if n and len(n) >= 2}, key=len, reverse=True)
    if wanted:
        for m in re.finditer("|".join(map(re.escape, wanted)), folded):
            add(m.start(), m.end(), mask_name(text[m.start() : m.end()]))
    if digests is not None:
        for start, end in digests.spans(folded):
            add(start, end, mask_name(text[start:end]))
    if not spans:
        return text
    out, at = [], 0
    for start, end, replacement in sorted(spans):
        out += [text[at:start], replacement]
        at = end
    out.append(text[at:])
    return "".join(out)
