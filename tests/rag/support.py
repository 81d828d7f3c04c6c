"""Test documents: a real (minimal, hand-built) PDF, Markdown and HTML policies, a tenant's corpus."""

from __future__ import annotations

from melmastoon_ai.tenancy.context import tenant_context
from rag.embedding import DETERMINISTIC_MODEL
from rag.services import corpus_create, document_ingest, document_submit


def make_pdf(pages: list[str], *, title: str = "") -> bytes:
    """A PDF 1.4 file with one Helvetica text line per page line, cross-reference table included."""
    objects: list[bytes] = []
    page_ids = [3 + 2 * index for index in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    info_id = font_id + 1
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for index, text in enumerate(pages):
        lines = []
        for number, line in enumerate(text.split("\n")):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            lines.append(f"BT /F1 12 Tf 72 {720 - 16 * number} Td ({escaped}) Tj ET")
        stream = "\n".join(lines).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_ids[index] + 1} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(f"<< /Title ({title}) >>".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


POLICY_MD = """# House rules

Welcome to Hotel Alborz. These rules keep every stay calm and safe.

## Check-in and check-out

Check-in starts at 14:00. Check-out is at 11:00; a late check-out until 14:00 costs 20 euros.
Guests who arrive after midnight ring the night bell at the side entrance.

## Pets

Dogs under ten kilograms are welcome in rooms on the ground floor. Cats are not allowed.

## Swimming pool

The pool on the roof opens from 07:00 to 21:00. Children under twelve swim with an adult.
"""

POLICY_HTML = """<!doctype html><html><head><title>Breakfast and parking</title>
<style>body { color: red }</style><script>alert('no')</script></head>
<body><nav>Home | Rooms</nav>
<h1>Breakfast</h1><p>Breakfast is served in the garden room from 06:30 to 10:30.</p>
<ul><li>Vegan and halal dishes are marked.</li><li>Room service breakfast costs 8 euros.</li></ul>
<h2>Parking</h2><p>The garage behind the hotel has twelve places; the night rate is 15 euros.</p>
<footer>Copyright</footer></body></html>"""


def make_corpus(tenant, name: str = "Policies", kind: str = "policy", model: str = DETERMINISTIC_MODEL):
    with tenant_context(tenant.id):
        return corpus_create(tenant=tenant, name=name, kind=kind, embedding_model=model)


def ingest(tenant, corpus, data: bytes, media_type: str, title: str, **extra):
    """Submit and ingest now (what the Celery task does), returning the document and the result."""
    with tenant_context(tenant.id):
        submitted = document_submit(
            tenant=tenant,
            corpus=corpus,
            data=data,
            media_type=media_type,
            title=title,
            source_key=title,
            enqueue=False,
            **extra,
        )
    result = document_ingest(document_id=str(submitted.document.id), tenant_id=str(tenant.id))
    return submitted, result
