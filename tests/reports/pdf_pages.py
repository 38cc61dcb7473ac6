"""Read a PDF back as a reader would: its text (pypdf), the font size of every character and
where the chart image sits (PDFium), and its pages rendered as PNG images (PDFium)."""

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
