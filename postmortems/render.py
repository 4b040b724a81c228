"""Render a postmortem snapshot: one template for the page and the PDF (WeasyPrint).

WeasyPrint fetches nothing from the network: its URL fetcher serves the app's own static
files and data: URIs, and refuses everything else (an image in the Markdown pointing at
some host is left out of the PDF).
"""

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

# WeasyPrint reports every layout step at INFO; one line per page is noise in the logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from postmortems import charts, export, markdown  # noqa: E402

PAPERS = {"a4": "A4", "letter": "Letter"}
# The document's base URL: static references resolve under it and nowhere else.
BASE_URL = "https://keel.invalid/"


class StaticOnlyFetcher(URLFetcher):
    """Serves data: URIs and files under STATIC_URL from disk; refuses everything else."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        static_prefix = BASE_URL + settings.STATIC_URL.lstrip("/")
        if url.startswith(static_prefix):
            relative = unquote(urlsplit(url).path).removeprefix(
                "/" + settings.STATIC_URL.strip("/") + "/"
            )
            found = finders.find(relative) if ".." not in relative else None
            if isinstance(found, str) and Path(found).is_file():
                return URLFetcherResponse(url, Path(found).read_bytes())
        raise ValueError(f"Postmortem PDFs load no external resources ({url[:80]}).")


def image_hosts() -> list[str]:
    """Hosts whose images a postmortem shows (KEEL_CSP_IMG_HOSTS, also in the page's
    Content-Security-Policy); other remote images are shown as links."""
    return list(settings.KEEL_CSP_IMG_HOSTS)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def document_context(snapshot: dict[str, Any], *, paper: str = "a4") -> dict[str, Any]:
    """What the document template needs, from a snapshot (draft or published version)."""
    facts = snapshot["facts"]
    times = {k: _dt(v) for k, v in facts.get("times", {}).items()}
    hosts = image_hosts()
    sections = [
        {
            **s,
            "html": mark_safe(markdown.render(s["body"], image_hosts=hosts)),  # noqa: S308
            "anchor": f"s-{s['key']}",
        }
        for s in snapshot["sections"]
    ]
    # Notes are Markdown in the room; they keep their formatting here too.
    timeline = [
        {
            **e,
            "at_dt": _dt(e["at"]),
            "html": (
                mark_safe(markdown.render(e["text"], image_hosts=hosts))  # noqa: S308
                if e.get("kind") == "note"
                else ""
            ),
        }
        for e in facts.get("timeline", [])
    ]
    alerts = [
        {**a, "starts_dt": _dt(a["starts_at"]), "ends_dt": _dt(a.get("ends_at"))}
        for a in facts.get("alerts", [])
    ]
    svg = {
        "durations": charts.durations_chart(facts.get("durations", [])),
        "activity": charts.activity_chart(facts.get("timeline", [])),
        "burn_down": charts.burn_down_chart(
            facts.get("budget_impact", []),
            incident=(times.get("started_at"), times.get("resolved_at")),
        ),
    }
    toc = [
        ("facts", "Facts"),
        *(("budget", "Error-budget impact"),) * bool(facts.get("budget_impact")),
        *[(s["anchor"], s["title"]) for s in sections],
        ("timeline", "Timeline"),
        ("alerts", "Alerts"),
        ("action-items", "Action items"),
    ]
    return {
        "doc": snapshot,
        "incident": facts["incident"],
        "times": times,
        "durations": facts.get("durations", []),
        "impacts": facts.get("budget_impact", []),
        "sections": sections,
        "timeline": timeline,
        "alerts": alerts,
        "charts": {k: mark_safe(v) for k, v in svg.items() if v},  # noqa: S308
        "toc": toc,
        "paper": PAPERS.get(paper, "A4"),
        "published_at": _dt(snapshot.get("published_at")),
        "figures": snapshot.get("figures", {}),
    }


def render_html(snapshot: dict[str, Any], *, paper: str = "a4") -> str:
    """The standalone HTML the PDF is made from (no time-dependent content: it is hashed)."""
    return render_to_string("postmortems/pdf.html", document_context(snapshot, paper=paper))


def content_hash(html: str, paper: str) -> str:
    return hashlib.sha256(f"{paper}\n{html}".encode()).hexdigest()


def render_pdf(html: str) -> bytes:
    """HTML to PDF bytes; only static files and data: URIs are loaded."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())
    return bytes(document.write_pdf())


def to_markdown(snapshot: dict[str, Any]) -> str:
    return export.to_markdown(snapshot)
