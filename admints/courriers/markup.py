"""The two marks a letter text may carry (R-PAR-4, guide §3.2 « fonctions d'édition »): a whole
line written `**…**` is printed in bold, `__…__` in italic.

Owns reading a line's mark (`parse_line`, used by the PDF layout and the editor's live preview,
so both show the same thing) and refusing, at save, a mark that is not a whole line
(`check`): « **Identifiant » without its closing mark, or a bold mark in the middle of a line,
would otherwise be printed as typed (`__` inside a line is text: `${__x__}` prints as typed).
The editor's « Gras » / « Italique » buttons write these marks,
so nobody has to type them. Marks are read on the text, before substitution: a value can never
set one.
"""

from __future__ import annotations

NORMAL, BOLD, ITALIC = "normal", "bold", "italic"
MARKS = {BOLD: "**", ITALIC: "__"}
BOLD_MARK = MARKS[BOLD]
NAMES = {BOLD: "gras (« ** »)", ITALIC: "italique (« __ »)"}


def parse_line(line: str) -> tuple[str, str]:
    """`(text, style)` of one line. A stray bold mark (text saved before marks were checked) is
    dropped rather than printed as typed; `__` inside a line is text (`${__x__}`, code)."""
    for style, mark in MARKS.items():
        n = len(mark)
        if len(line) > 2 * n and line.startswith(mark) and line.endswith(mark):
            inner = line[n:-n]
            if BOLD_MARK not in inner:
                return inner, style
    return line.replace(BOLD_MARK, ""), NORMAL


def line_error(line: str) -> str | None:
    """Why the marks of `line` cannot be printed as the writer meant, or None."""
    stripped = line.rstrip()
    text, style = parse_line(stripped)
    if style != NORMAL:
        return None
    if BOLD_MARK in stripped:
        return (f"la marque de {NAMES[BOLD]} doit entourer une ligne entière ; elle n'est pas "
                "fermée ou se trouve au milieu de la ligne")
    mark = MARKS[ITALIC]
    if stripped.startswith(mark) != stripped.endswith(mark) or stripped == mark:
        return f"la marque d'{NAMES[ITALIC]} n'est pas fermée"
    return None


def check(text: str) -> list[str]:
    """One French message per line whose marks are not balanced (empty list: all right)."""
    errors = []
    for number, line in enumerate(text.split("\n"), start=1):
        why = line_error(line)
        if why:
            errors.append(f"ligne {number} : {why}")
    return errors
