"""What the postmortem pages and the postmortem API share to read a document request: the
version a query names (404 when there is none) and the name a download gets."""

from django.http import Http404

from postmortems.models import Postmortem


def document_version_or_404(postmortem: Postmortem, raw: str) -> int | None:
    """The published version `?version=` names; None (the draft) when it names none."""
    if not raw:
        return None
    if not raw.isdigit() or not postmortem.versions.filter(number=int(raw)).exists():
        raise Http404
    return int(raw)


def document_filename(postmortem: Postmortem, version: int | None, ext: str) -> str:
    """INC-42-postmortem-v2.pdf, or INC-42-postmortem-draft.md for the live draft."""
    suffix = f"v{version}" if version else "draft"
    return f"{postmortem.reference}-postmortem-{suffix}.{ext}"
