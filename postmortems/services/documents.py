"""Documents: the snapshot a document shows, and its PDF (cached by content, rendered by a
worker)."""

from typing import Any

from postmortems.models import Postmortem, PostmortemPdf, PostmortemVersion
from postmortems.render import PAPERS, content_hash, render_html, render_pdf
from postmortems.selectors import postmortem_snapshot
from postmortems.services.common import PostmortemError
from postmortems.tasks import render_postmortem_pdf


def postmortem_document(*, postmortem: Postmortem, version: int | None = None) -> dict[str, Any]:
    """The snapshot a document shows: a published version's, or the live draft's."""
    if version is not None:
        return PostmortemVersion.objects.get(postmortem=postmortem, number=version).snapshot
    return postmortem_snapshot(postmortem)


def _document_html(postmortem: Postmortem, version: int | None, paper: str) -> tuple[str, str]:
    """The document's HTML as it would be printed now, and the hash a PDF of it is cached by."""
    html = render_html(postmortem_document(postmortem=postmortem, version=version), paper=paper)
    return html, content_hash(html, paper)


def postmortem_pdf_lookup(
    *, postmortem: Postmortem, version: int | None = None, paper: str = "a4"
) -> tuple[str, PostmortemPdf | None]:
    """The content hash of the document as it is now, and its PDF if already rendered."""
    _, digest = _document_html(postmortem, version, paper)
    return digest, PostmortemPdf.objects.filter(content_hash=digest).first()


def postmortem_pdf_request(
    *, postmortem: Postmortem, version: int | None = None, paper: str = "a4"
) -> PostmortemPdf | None:
    """The PDF of the document as it is now if it is rendered; otherwise queue its
    rendering (a worker renders it; in-process without one) and return it if ready."""
    _, cached = postmortem_pdf_lookup(postmortem=postmortem, version=version, paper=paper)
    if cached is None:
        render_postmortem_pdf.delay(postmortem.pk, version, paper)
        _, cached = postmortem_pdf_lookup(postmortem=postmortem, version=version, paper=paper)
    return cached


def postmortem_pdf_render(
    *, postmortem: Postmortem, version: int | None = None, paper: str = "a4"
) -> PostmortemPdf:
    """Render (or find in the cache) the PDF of the document as it is now."""
    if paper not in PAPERS:
        raise PostmortemError("Paper is a4 or letter.", field="paper")
    html, digest = _document_html(postmortem, version, paper)
    cached = PostmortemPdf.objects.filter(content_hash=digest).first()
    if cached is not None:
        return cached
    data = render_pdf(html)
    PostmortemPdf.objects.bulk_create(
        [
            PostmortemPdf(
                postmortem=postmortem,
                content_hash=digest,
                paper=paper,
                version_number=version,
                pdf=data,
                size=len(data),
            )
        ],
        ignore_conflicts=True,
    )
    if version is None:
        # Only the newest draft PDF is worth keeping; published versions keep theirs.
        PostmortemPdf.objects.filter(
            postmortem=postmortem, version_number__isnull=True, paper=paper
        ).exclude(content_hash=digest).delete()
    return PostmortemPdf.objects.get(content_hash=digest)
