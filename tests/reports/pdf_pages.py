"""Read a PDF back as a reader would: its text (pypdf), the font size and place of every
character and where the chart image sits (PDFium), and its pages rendered as PNG images
(PDFium)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader


def pdf_text(data: bytes) -> list[str]:
    """Return the text of every page (pypdf)."""
    assert data.startswith(b"%PDF-")
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with line breaks as spaces: table cells wrap wherever the column ends."""
    return " ".join(text.split())


@dataclass(frozen=True)
class PageFacts:
    """What one rendered page holds: its text's font sizes and its images' printed boxes."""

    font_sizes_pt: list[float]
    image_boxes_pt: list[tuple[float, float, float, float]]
    width_pt: float
    height_pt: float


def page_facts(data: bytes) -> list[PageFacts]:
    """Return, per page, the font size of every character and each image's box, in points."""
    document = pdfium.PdfDocument(data)
    facts: list[PageFacts] = []
    try:
        for page in document:
            textpage = page.get_textpage()
            sizes = [
                float(pdfium_c.FPDFText_GetFontSize(textpage.raw, i))
                for i in range(textpage.count_chars())
                if not textpage.get_text_range(i, 1).isspace()
            ]
            boxes = [
                obj.get_bounds()
                for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)
            ]
            width, height = page.get_size()
            facts.append(PageFacts(sizes, boxes, width, height))
    finally:
        document.close()
    return facts


@dataclass(frozen=True)
class PrintedChar:
    """One character as printed: its text and its box (points from the page's bottom left)."""

    char: str
    left: float
    bottom: float
    right: float
    top: float


def printed_chars(data: bytes) -> list[tuple[float, list[PrintedChar]]]:
    """Return, per page, its width and every character with its printed box (PDFium)."""
    document = pdfium.PdfDocument(data)
    pages: list[tuple[float, list[PrintedChar]]] = []
    try:
        for page in document:
            textpage = page.get_textpage()
            chars = [
                PrintedChar(textpage.get_text_range(i, 1), *textpage.get_charbox(i))
                for i in range(textpage.count_chars())
            ]
            pages.append((page.get_size()[0], chars))
    finally:
        document.close()
    return pages


def text_outside(data: bytes, margin_pt: float, *, tolerance_pt: float = 0.5) -> list[str]:
    """Return the runs of text that print outside the page's text width, as "page N: text".

    A character is outside when its printed box reaches into the left or right margin
    (``margin_pt`` wide) or off the page; neighbouring such characters form one run.
    """
    runs: list[str] = []
    for number, (width, chars) in enumerate(printed_chars(data), start=1):
        run = ""
        for c in [*chars, PrintedChar(" ", margin_pt, 0, margin_pt, 0)]:
            inside = c.left >= margin_pt - tolerance_pt and c.right <= (
                width - margin_pt + tolerance_pt
            )
            if c.char.isspace() or inside:
                if run:
                    runs.append(f"page {number}: {run}")
                run = ""
            else:
                run += c.char
    return runs


def render_pages(data: bytes, folder: Path, *, dpi: int = 100) -> list[Path]:
    """Render every page as a PNG into ``folder`` and return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(data)
    paths: list[Path] = []
    try:
        for number, page in enumerate(document, start=1):
            path = folder / f"page-{number}.png"
            page.render(scale=dpi / 72).to_pil().save(path)
            paths.append(path)
    finally:
        document.close()
    return paths
