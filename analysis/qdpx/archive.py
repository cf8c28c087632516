"""Inside the ``.qdpx`` zip: finding members, reading source texts, within bounds.

Why separate: everything that touches the archive's bytes is here, so the limits that keep a
hostile or broken archive from exhausting memory (total uncompressed size, compression
ratio, per-source size) and the refusal of encrypted or unsupported members sit in one
place. Member paths are looked up *inside* the zip only; nothing is extracted and no member
path is ever joined onto the file system.
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Mapping

from analysis.qdpx.model import quote
from analysis.qdpx.parse import Parsed
from analysis.textrules import looks_utf16

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(//|\\\\)")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")
MAX_SOURCE_BYTES = 512 * 1024 * 1024
"""Largest source text member (uncompressed)."""
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
"""Largest total uncompressed size of an archive: a whole project is read into memory."""
MAX_RATIO = 200
"""Largest compression ratio of a member above 1 MiB; transcripts compress 3-10 times, a
zip bomb thousands of times."""
_READABLE = frozenset(
    (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
)


def member_index(zf: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """Map lowercased member names to their ZipInfo entries (files only)."""
    index: dict[str, list[zipfile.ZipInfo]] = {}
    for info in zf.infolist():
        if not info.is_dir():
            index.setdefault(info.filename.lower(), []).append(info)
    return index


def lookup(index: Mapping[str, list[zipfile.ZipInfo]], name: str) -> zipfile.ZipInfo | None:
    """Find a member by name, case-insensitively; prefer an exact-case match."""
    hits = index.get(name.lower(), [])
    for info in hits:
        if info.filename == name:
            return info
    return hits[0] if len(hits) == 1 else None


def _safe_relative(path: str) -> str | None:
    """Normalise a relative member path; None if it climbs out with ``..``."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _resolve_text_path(
    index: Mapping[str, list[zipfile.ZipInfo]], ref: str
) -> tuple[zipfile.ZipInfo | None, str]:
    """Resolve a ``plainTextPath`` to a zip member, or explain why it cannot be."""
    ref = ref.strip()
    if ref.lower().startswith("internal://"):
        rel = _safe_relative(ref[len("internal://") :])
        if rel is None:
            return None, f"plainTextPath {quote(ref)} climbs out of the archive with '..'"
        tried = [f"sources/{rel}", rel]
    elif _URL.match(ref) or ref.startswith(("/", "\\")) or _WINDOWS_ABSOLUTE.match(ref):
        return None, (
            f"plainTextPath {quote(ref)} is an absolute path outside the archive; the source text "
            "is not embedded in the .qdpx file"
        )
    else:
        rel = _safe_relative(ref)
        if rel is None:
            return None, f"plainTextPath {quote(ref)} climbs out of the archive with '..'"
        tried = [rel, f"sources/{rel}"]
    for name in tried:
        info = lookup(index, name)
        if info is not None:
            return info, ""
        if len(index.get(name.lower(), [])) > 1:
            return None, f"plainTextPath {quote(ref)} matches several members that differ in case"
    return None, (
        f"source file {quote(ref)} is missing from the archive (looked for "
        + ", ".join(quote(n) for n in tried)
        + ", case-insensitively)"
    )


def archive_problems(zf: zipfile.ZipFile) -> list[str]:
    """Why the archive cannot be read safely, before a single member is decompressed.

    Encrypted members and unsupported compression (WinZip AES is method 99) would raise
    ``RuntimeError``/``NotImplementedError`` deep inside :mod:`zipfile`; an archive that
    unpacks to more than :data:`MAX_TOTAL_BYTES`, or a member compressed more than
    :data:`MAX_RATIO` times, would exhaust memory. The sizes are the declared ones, which
    :mod:`zipfile` enforces while reading (a member longer than declared fails its check).
    """
    problems = []
    total = 0
    for info in zf.infolist():
        name = quote(info.filename)
        total += info.file_size
        if info.flag_bits & 0x1:
            problems.append(
                f"member {name} is encrypted (password-protected); export the project again "
                "without a password"
            )
        elif info.compress_type not in _READABLE:
            what = " (WinZip AES encryption)" if info.compress_type == 99 else ""
            problems.append(
                f"member {name} uses compression method {info.compress_type}{what}, which "
                "cannot be read; save the archive again with ordinary (deflate) compression"
            )
        elif info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            problems.append(
                f"member {name} unpacks to {info.file_size:,} bytes from "
                f"{info.compress_size:,} (more than {MAX_RATIO} times smaller): refused as a "
                "possible zip bomb"
            )
    if total > MAX_TOTAL_BYTES:
        problems.append(
            f"the archive unpacks to {total / 2**20:,.0f} MiB, more than the "
            f"{MAX_TOTAL_BYTES // 2**20:,} MiB a project may hold"
        )
    return problems


def _decode_text(data: bytes) -> str:
    """Decode a source file: UTF-8, or UTF-16 when it starts with a UTF-16 BOM; drop BOM."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> tuple[str | None, str]:
    """Decode one source member; (text, "") or (None, why not)."""
    name = quote(info.filename)
    if info.file_size > MAX_SOURCE_BYTES:
        return None, f"{label}: member {name} is larger than 512 MiB"
    try:
        data = zf.read(info)
        if looks_utf16(data):
            return None, (
                f"{label}: member {name} looks UTF-16 encoded without a byte order mark "
                "(every other byte is 0x00); save the transcript as UTF-8"
            )
        text = _decode_text(data)
        del data
        if "\x00" in text:
            return None, (
                f"{label}: member {name} holds NUL characters (first at code point "
                f"{text.index(chr(0))}); a transcript is text without NUL characters"
            )
        return text, ""
    except UnicodeDecodeError as exc:
        return None, (f"{label}: member {name} is not valid UTF-8 (byte {exc.start}: {exc.reason})")
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        return None, f"{label}: zip member {name} is corrupt or unreadable: {exc}"


def load_source_texts(
    zf: zipfile.ZipFile,
    index: Mapping[str, list[zipfile.ZipInfo]],
    p: Parsed,
    problems: list[str],
) -> list[str | None]:
    """Return the stored text of every text source (None where it cannot be had)."""
    texts: list[str | None] = []
    for src in p.sources:
        label = f"TextSource {src['guid']} ({quote(src['name'])}, line {src['line']})"
        text: str | None = None
        ref = src["path"]
        if ref:
            info, why = _resolve_text_path(index, ref)
            if info is None:
                problems.append(f"{label}: {why}")
            else:
                text, why = _read_member(zf, info, label)
                if why:
                    problems.append(why)
        elif src["content"] is not None:
            text = src["content"]
        elif src["selections"]:
            problems.append(
                f"{label}: the source has coded selections but neither a plainTextPath nor "
                "PlainTextContent"
            )
        else:
            text = ""
        texts.append(text)
    return texts
