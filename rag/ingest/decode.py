"""Bytes to text: byte order marks, UTF-8, declared and guessed encodings, and refusing binary data.

Pure functions (bytes in, a string out) with doctest examples. A file's reader turns `NotTextError` into a
SourceError naming the file (rag.ingest.files).
"""

from __future__ import annotations

import codecs
import re

# Metadata key holding the encoding of a file that was not UTF-8 and not in the encoding it declares: it was guessed.
GUESSED_ENCODING_KEY = "encoding_guessed"
# Beside it, the encoding the file declared (an HTML page's <meta charset>) when it did not decode in it.
DECLARED_ENCODING_KEY = "encoding_declared"

# Only the start of a file is searched for NUL bytes: text never has them, binary formats almost always do early.
BINARY_SNIFF_BYTES = 8192


class NotTextError(ValueError):
    """Bytes that do not decode to text (the caller turns this into a SourceError naming the file)."""


# Longest first: the UTF-32 little-endian mark starts with the UTF-16 one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Encodings that charset_normalizer often ties with others on short Western text; the first that ties wins.
_WESTERN_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)


def decode_text(data: bytes, declared_encoding: str = "") -> str:
    """Decode a file's bytes: a byte order mark wins, then UTF-8, then the declared encoding, then detection.
    Line endings become "\\n". Raises NotTextError for binary data.

    >>> decode_text(b"\\xef\\xbb\\xbfCaf\\xc3\\xa9\\r\\nopens")
    'Café\\nopens'
    >>> decode_text("Le café coûte 5 €.".encode("cp1252"))
    'Le café coûte 5 €.'
    >>> decode_text("Rivers rose.".encode("utf-16"))
    'Rivers rose.'
    >>> try:
    ...     decode_text(b"PK\\x03\\x04\\x00\\x00")
    ... except NotTextError as error:
    ...     print(error)
    it holds NUL bytes
    """
    return decode_text_guessing(data, declared_encoding)[0]


def decode_text_guessing(data: bytes, declared_encoding: str = "") -> tuple[str, str]:
    """`decode_text`, and the encoding it had to guess ("" when a byte order mark, UTF-8 or the declared
    encoding decoded it), so that a guess can be reported.

    >>> decode_text_guessing("Le café coûte 5 €.".encode("cp1252"))
    ('Le café coûte 5 €.', 'cp1252')
    >>> decode_text_guessing("Le café".encode("utf-8"))
    ('Le café', '')
    """
    text = None
    guessed = ""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as error:
                raise NotTextError(f"it starts with a {encoding} byte order mark but does not decode") from error
            text = text.lstrip("\ufeff")
            break
    if text is None:
        utf16 = _utf16_without_mark(data)
        if utf16:
            text, guessed = utf16
        elif b"\x00" in data[:BINARY_SNIFF_BYTES]:
            raise NotTextError("it holds NUL bytes")
        else:
            text, guessed = _decode_without_mark(data, declared_encoding)
    sample = text[:BINARY_SNIFF_BYTES]
    if sample and len(_CONTROL_CHARACTERS.findall(sample)) > len(sample) // 20:
        raise NotTextError("more than 5% of its characters are control characters")
    return normalise_newlines(text), guessed


def _utf16_without_mark(data: bytes) -> tuple[str, str] | None:
    """The text and "utf-16-le" or "utf-16-be" for UTF-16 written without a byte order mark (mostly ASCII: every
    other byte NUL, and it decodes), which was refused as binary for its NUL bytes; None for anything else.

    >>> _utf16_without_mark("Café opens".encode("utf-16-le")), _utf16_without_mark(b"PK\\x03\\x04\\x00\\x00")
    (('Café opens', 'utf-16-le'), None)
    """
    sample = data[:BINARY_SNIFF_BYTES]
    if len(sample) < 4 or len(data) % 2:
        return None
    for encoding, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if zeros.count(0) >= 0.9 * len(zeros):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                return None
    return None


def _decode_without_mark(data: bytes, declared_encoding: str) -> tuple[str, str]:
    """The text, and the encoding name when it was guessed rather than UTF-8 or declared."""
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    if declared_encoding:
        try:
            return data.decode(declared_encoding), ""
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; detection below may still succeed
    windows = _windows_western(data)
    if windows is not None:
        return windows, "cp1252"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if matches:
        best = matches[0]
        # On short text every single-byte encoding looks equally plausible; Western European is the likeliest.
        for match in matches:
            if match.encoding in _WESTERN_ENCODINGS and (match.chaos, match.coherence) == (best.chaos, best.coherence):
                return str(match), match.encoding
        if best.coherence > 0:
            return str(best), best.encoding
    western = _decode_western(data)
    if western is not None:
        return western, "cp1252"
    if matches:
        return str(matches[0]), matches[0].encoding
    raise NotTextError("it does not decode as text in any known encoding")


_WINDOWS_PUNCTUATION = frozenset("‘’“”–—…€•")
"""What Windows-1252 puts in bytes 0x80-0x9F that text uses most: curly quotes, dashes, the ellipsis, the euro."""


def _windows_western(data: bytes) -> str | None:
    """`data` decoded when it is Windows-1252 text beyond doubt (else None): it uses that code page's curly quotes
    or dashes (bytes 0x80-0x9F, control characters in ISO 8859 and letters in the Baltic and DOS code pages), and
    every other byte outside ASCII is a Western European letter. Short text gave the detector no more to go on than
    that, and it chose the Baltic cp775: "ōwe will not back downö", "costs Ć4 million".

    >>> _windows_western("“We will not back down” – costs €4 million.".encode("cp1252"))
    '“We will not back down” – costs €4 million.'
    >>> _windows_western("Zażółć „gęślą” jaźń".encode("cp1250")), _windows_western(b"plain")
    (None, None)
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    unusual = {character for character in text if not character.isascii()}
    western = bool(unusual & _WINDOWS_PUNCTUATION) and all(
        character in _WINDOWS_PUNCTUATION or ("\u00c0" <= character <= "\u00ff" and character.isalpha())
        for character in unusual)
    return text if western else None


def _decode_western(data: bytes) -> str | None:
    """cp1252 when the result reads like Western text: mostly ASCII letters with a few accented ones."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = [character for character in text[:65536] if character.isalpha()]
    accented = sum(1 for character in letters if not character.isascii())
    return text if letters and accented * 4 <= len(letters) else None


def guessed_encoding_note(source: str, guessed: str, declared: str = "") -> str:
    """The note for a file whose encoding had to be guessed: one that declares none, or one that is not valid in
    the encoding it declares (a page saved as Latin-1 under `<meta charset="utf-8">`: it was said to declare none).

    >>> guessed_encoding_note("a.txt", "cp1252")
    'a.txt: is not UTF-8 and declares no encoding; it was read as cp1252 (if letters look wrong, save it as UTF-8)'
    >>> print(guessed_encoding_note("wrongenc.html", "cp1252", "UTF8"))  # doctest: +NORMALIZE_WHITESPACE
    wrongenc.html: declares UTF-8 but is not valid UTF-8; it was read as cp1252 (if letters look wrong, save it as
    UTF-8 or correct its <meta charset>)
    """
    if not declared:
        return f"{source}: is not UTF-8 and declares no encoding; it was read as {guessed} (if letters look wrong, " \
               "save it as UTF-8)"
    name = "UTF-8" if declared.lower().replace("-", "").replace("_", "") == "utf8" else declared
    return (f"{source}: declares {name} but is not valid {name}; it was read as {guessed} (if letters look wrong, "
            f"save it as UTF-8 or correct its <meta charset>)")


def declared_html_encoding(data: bytes) -> str:
    """The encoding an HTML page declares in a `<meta charset>` near its start, or "".

    >>> declared_html_encoding(b'<html><head><meta charset="windows-1252">'), declared_html_encoding(b"<p>x</p>")
    ('windows-1252', '')
    """
    match = _HTML_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else ""


def normalise_newlines(text: str) -> str:
    r"""Windows and old Mac line endings become "\n".

    >>> normalise_newlines("a\r\nb\rc\n")
    'a\nb\nc\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")
