"""Lay a ``Document`` out as one self-contained HTML file and as Markdown with PNGs beside it.

The HTML needs nothing but itself: inline CSS, images as ``data:image/png;base64`` URIs, no
script, no font or CDN, so it opens offline and can be mailed. The Markdown references the
figures by file name; ``write_document`` writes them next to it.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from ceasefire.reporting.document import Block, Bullets, Document, Figure, Paragraph, Table

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0 auto;max-width:1100px;padding:1.5rem;color:#212121;line-height:1.45}
header{border-bottom:3px solid #1a237e;margin-bottom:1rem}
h1{font-size:1.6rem;margin:.2rem 0;color:#1a237e}
.subtitle{color:#555;font-size:.9rem;margin-bottom:.6rem}
h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:1.8rem}
nav{font-size:.85rem;margin:.5rem 0 1rem}nav a{margin-right:.8rem;color:#1a237e}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #d0d0d0;padding:.25rem .5rem;vertical-align:top}
th{background:#eceff1;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;background:#fafafa}
figure{margin:0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85rem;color:#555}
footer{margin-top:2rem;font-size:.8rem;color:#777}
"""


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
        body = []
        for k, row in enumerate(block.rows):
            cls = ' class="total"' if block.total and k == len(block.rows) - 1 else ""
            cells = "".join(
                f'<td class="n">{escape(v)}</td>' if block.numeric[j] else f"<td>{escape(v)}</td>"
                for j, v in enumerate(row)
            )
            body.append(f"<tr{cls}>{cells}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    data = base64.b64encode(block.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(block.alt)}">'
        f"<figcaption>{escape(block.caption)}</figcaption></figure>"
    )


def render_html(doc: Document) -> str:
    """The whole report as one HTML page (UTF-8), every section an ``<section id=...>``."""
    nav = "".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in doc.sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)}</title><style>{CSS}</style></head><body>",
        f'<header><h1>{escape(doc.title)}</h1><div class="subtitle">{escape(doc.subtitle)}</div>'
        f"<nav>{nav}</nav></header>",
    ]
    for section in doc.sections:
        inner = "".join(_html_block(b) for b in section.blocks)
        parts.append(
            f'<section id="{escape(section.anchor)}"><h2>{escape(section.title)}</h2>{inner}'
            "</section>"
        )
    parts.append(
        "<footer>Produced by ceasefire. Observation is not attribution: counts say what "
        "monitors saw, not who fired.</footer></body></html>"
    )
    return "\n".join(parts)


#: Markdown's inline syntax, escaped with a backslash in text: emphasis, code, links and
#: images, tables, strikethrough. ``<``, ``>`` and ``&`` become entities instead (a backslash
#: does not stop raw HTML in every renderer).
_MD_ESCAPES = str.maketrans(
    {
        **{c: "\\" + c for c in "\\`*_[]|~!#"},
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "\n": " ",
        "\r": " ",
    }
)


def md_text(value: str) -> str:
    r"""Plain text as Markdown that shows exactly that text: no raw HTML (``<script>``,
    ``<img onerror=...>``), no link (``[x](javascript:...)``), no table cell break (``|``),
    no line break that could start a heading or a list, whatever a report field carries.

    >>> print(md_text("<img src=x onerror=alert(1)> | [x](javascript:y)"))
    &lt;img src=x onerror=alert(1)&gt; \| \[x\](javascript:y)
    """
    return value.translate(_MD_ESCAPES)


def _md_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return md_text(block.text)
    if isinstance(block, Bullets):
        return "\n".join(f"- {md_text(i)}" for i in block.items)
    if isinstance(block, Table):
        head = "| " + " | ".join(md_text(h) for h in block.headers) + " |"
        rule = "|" + "|".join("---:" if n else "---" for n in block.numeric) + "|"
        lines = [head, rule]
        for k, row in enumerate(block.rows):
            cells = [md_text(v) for v in row]
            if block.total and k == len(block.rows) - 1:
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    return f"![{md_text(block.alt)}]({block.file_name})\n\n*{md_text(block.caption)}*"


def render_markdown(doc: Document) -> str:
    """The report as GitHub-flavoured Markdown; figures by relative file name. Every text
    is escaped (``md_text``): report fields reach it as text, never as Markdown or HTML."""
    parts = [f"# {md_text(doc.title)}", "", f"_{md_text(doc.subtitle)}_", ""]
    for section in doc.sections:
        parts.append(f'<a id="{escape(section.anchor)}"></a>\n\n## {md_text(section.title)}\n')
        parts.extend(_md_block(b) + "\n" for b in section.blocks)
    return "\n".join(parts)


def write_document(doc: Document, out_dir: Path) -> Path:
    """Write ``report.html``, ``report.md`` and the figures' PNGs into ``out_dir``.

    Creates the folder if needed and overwrites earlier files; returns the HTML's path.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for figure in doc.figures():
        (out_dir / figure.file_name).write_bytes(figure.png)
    (out_dir / "report.md").write_text(render_markdown(doc), encoding="utf-8")
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(doc), encoding="utf-8")
    return html_path


__all__ = ["Figure", "render_html", "render_markdown", "write_document"]
