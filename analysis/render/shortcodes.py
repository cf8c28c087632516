"""Quarto's shortcodes for the pandoc engine: ``var``, ``include`` and ``pagebreak``.

Why: the manuscripts read every generated number through ``{{< var ... >}}`` and every
generated table through ``{{< include ... >}}``; without the Quarto CLI these are expanded
here, failing with the file and line of any unknown key or missing file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.render.common import RenderError

PAGEBREAK_MARKDOWN = """

```{=html}
<div style="page-break-after: always;"></div>
```

```{=typst}
#pagebreak()
```

```{=openxml}
<w:p><w:r><w:br w:type="page"/></w:r></w:p>
```

"""


_SHORTCODE = re.compile(r"\{\{\{<\s*(?P<escaped>.*?)\s*>\}\}\}|\{\{<\s*(?P<body>.*?)\s*>\}\}")

#: ```{python} and friends: Quarto would execute these; we cannot.
_CODE_CELL = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*\{[ \t]*(?P<lang>[A-Za-z][\w-]*)", re.M)
_INLINE_CODE = re.compile(r"`\{(?P<lang>python|r|julia|ojs)\}\s[^`]*`")


@dataclass(frozen=True)
class Shortcode:
    """One ``{{< name args >}}`` occurrence; ``escaped`` for ``{{{< ... >}}}``."""

    name: str
    arguments: tuple[str, ...]
    line: int
    start: int
    end: int
    escaped: bool = False


def find_shortcodes(
    text: str, *, source_name: str = "<text>", first_line: int = 1
) -> list[Shortcode]:
    """List the shortcodes in ``text`` with their line numbers.

    ``first_line`` is the line number of the first line of ``text`` in its file,
    so that messages point at the right line when only the body is scanned.
    """
    found: list[Shortcode] = []
    for match in _SHORTCODE.finditer(text):
        line = first_line + text.count("\n", 0, match.start())
        escaped = match.group("escaped") is not None
        body = match.group("escaped") if escaped else match.group("body")
        try:
            words = shlex.split(body)
        except ValueError as exc:
            raise RenderError(
                f"{source_name}:{line}: cannot parse shortcode {match.group(0)!r}: {exc}"
            ) from exc
        if not words:
            raise RenderError(f"{source_name}:{line}: empty shortcode {match.group(0)!r}")
        found.append(
            Shortcode(
                name=words[0],
                arguments=tuple(words[1:]),
                line=line,
                start=match.start(),
                end=match.end(),
                escaped=escaped,
            )
        )
    return found


def format_variable(value: Any) -> str:
    """Text for a ``{{< var >}}`` value, spelled the way YAML/Quarto spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(f"a {type(value).__name__}, not a single value")


def lookup_variable(variables: Mapping[str, Any], key: str) -> str:
    """Resolve a dotted key (``study.n_workers``) in nested variables.

    Raises ``KeyError`` for a missing key and ``TypeError`` when the key names a
    mapping, a list or null rather than a value.
    """
    node: Any = variables
    for part in key.split("."):
        if not isinstance(node, Mapping):
            raise KeyError(key)
        if part in node:
            node = node[part]
        elif part.isdigit() and int(part) in node:
            node = node[int(part)]
        else:
            raise KeyError(key)
    if node is None:
        raise TypeError("null")
    return format_variable(node)


def _reject_code_cells(text: str, source_name: str, first_line: int, note: str = "") -> None:
    """Fail on executable cells: without Quarto they would print as code, silently."""
    match = _CODE_CELL.search(text) or _INLINE_CODE.search(text)
    if match:
        line = first_line + text.count("\n", 0, match.start())
        raise RenderError(
            f"{source_name}:{line}{note}: executable code cell {{{match.group('lang')}}} is not "
            "supported; compute its output in the workflow and include the result"
        )


def expand_shortcodes(
    text: str,
    variables: Mapping[str, Any],
    base_dir: str | os.PathLike[str],
    source_name: str,
    *,
    first_line: int = 1,
    project_root: str | os.PathLike[str] | None = None,
    _include_chain: tuple[tuple[Path, str], ...] = (),
) -> str:
    """Expand Quarto's ``var``, ``include`` and ``pagebreak`` shortcodes.

    Includes are resolved relative to ``base_dir`` (``/path`` relative to
    ``project_root``, which defaults to ``base_dir``), recursively, with the
    shortcodes of included files expanded in turn.  ``{{{< ... >}}}`` yields
    the literal shortcode.  Any problem raises :class:`RenderError` naming the
    file, the line and the missing key or path, because a manuscript with a
    silently empty number is worse than no manuscript.
    """
    base = Path(base_dir)
    root = Path(project_root) if project_root is not None else base
    chain_note = "".join(f" (included from {where})" for _, where in reversed(_include_chain))
    _reject_code_cells(text, source_name, first_line, chain_note)

    pieces: list[str] = []
    position = 0
    for code in find_shortcodes(text, source_name=source_name, first_line=first_line):
        pieces.append(text[position : code.start])
        position = code.end
        where = f"{source_name}:{code.line}"
        if code.escaped:
            pieces.append(text[code.start + 1 : code.end - 1])
        elif code.name == "var":
            pieces.append(_expand_var(code, variables, where + chain_note))
        elif code.name == "include":
            pieces.append(
                _expand_include(code, variables, base, root, where, chain_note, _include_chain)
            )
        elif code.name == "pagebreak":
            pieces.append(PAGEBREAK_MARKDOWN)
        else:
            raise RenderError(
                f"{where}{chain_note}: unsupported shortcode '{code.name}' "
                "(the pandoc engine knows var, include and pagebreak)"
            )
    pieces.append(text[position:])
    return "".join(pieces)


def _expand_var(code: Shortcode, variables: Mapping[str, Any], where: str) -> str:
    if len(code.arguments) != 1:
        raise RenderError(f"{where}: the var shortcode takes exactly one key")
    key = code.arguments[0]
    try:
        return lookup_variable(variables, key)
    except KeyError:
        raise RenderError(f"{where}: unknown variable '{key}' (not in _variables.yml)") from None
    except TypeError as exc:
        raise RenderError(f"{where}: variable '{key}' is {exc}") from None


def _expand_include(
    code: Shortcode,
    variables: Mapping[str, Any],
    base: Path,
    root: Path,
    where: str,
    chain_note: str,
    chain: tuple[tuple[Path, str], ...],
) -> str:
    if len(code.arguments) != 1:
        raise RenderError(f"{where}{chain_note}: the include shortcode takes exactly one path")
    relative = code.arguments[0]
    target = root / relative.lstrip("/") if relative.startswith("/") else base / relative
    resolved = target.resolve()
    if not resolved.is_file():
        raise RenderError(f"{where}{chain_note}: included file '{relative}' not found")
    if any(resolved == seen for seen, _ in chain):
        raise RenderError(f"{where}{chain_note}: '{relative}' includes itself")
    try:
        name = resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        name = relative
    included = resolved.read_text(encoding="utf-8")
    return expand_shortcodes(
        included,
        variables,
        resolved.parent,
        name,
        project_root=root,
        _include_chain=(*chain, (resolved, where)),
    )
