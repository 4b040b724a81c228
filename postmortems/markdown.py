"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only harmless tags (pure).

Nothing in a postmortem loads from another host when it is read: an image whose address
is elsewhere (a tracking pixel, say) becomes a link to it. Images from Keel itself
(relative addresses), data: URIs and the hosts an admin allows stay images.
"""

import html as html_lib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_md = (
    MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# Table alignment is a class, not a style attribute: the Content-Security-Policy refuses
# inline styles (static/keel/postmortem.css draws these classes).
ALIGN_CLASSES = {"pm-align-left", "pm-align-center", "pm-align-right"}
REMOTE_IMAGE_CLASS = "pm-remote-image"
ALLOWED_CLASSES = {"td": ALIGN_CLASSES, "th": ALIGN_CLASSES, "a": {REMOTE_IMAGE_CLASS}}
URL_SCHEMES = {"http", "https", "mailto", "data"}

# nh3's output quotes every attribute value with " (and escapes " inside one), so an
# element's attributes can be read back exactly.
_IMG = re.compile(r'<img((?:\s+[^\s="\'>/]+(?:="[^"]*")?)*)\s*/?>')
_ATTR = re.compile(r'\s+([^\s="\'>/]+)(?:="([^"]*)")?')
_ALIGN = re.compile(r"^text-align:\s*(left|center|right)$")


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _host_source_matches(entry: str, scheme: str, host: str, port: int | None) -> bool:
    """One CSP-style host source ("img.example.com", "https://img.example.com:8443",
    "*.example.com") against an http(s) URL's parts."""
    entry = entry.strip().lower()
    want_scheme = ""
    if "://" in entry:
        want_scheme, entry = entry.split("://", 1)
    entry = entry.split("/", 1)[0]
    if not entry or entry.startswith("'") or (want_scheme and want_scheme != scheme):
        return False
    want_host, _, want_port = entry.partition(":")
    if want_port and want_port != "*" and want_port != str(port):
        return False
    if not want_port and port is not None:
        return False
    if want_host.startswith("*."):
        return host.endswith(want_host[1:])
    return host == want_host


def is_remote(src: str, allowed_hosts: Iterable[str] = ()) -> bool:
    """Whether an image address would make the reader's browser fetch from another host:
    any absolute or protocol-relative http(s) address not on an allowed host. Browsers
    read a backslash as a slash and ignore tabs and newlines, and so does this check."""
    src = re.sub(r"[\x00-\x20]", "", src).replace("\\", "/")
    if src.lower().startswith("data:"):
        return False
    if not src.startswith("//") and ":" not in src.split("/", 1)[0]:
        return False  # a relative address: Keel itself
    try:
        parts = urlsplit(src if not src.startswith("//") else "https:" + src)
        port = parts.port
    except ValueError:
        return True
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return True
    return not any(_host_source_matches(e, scheme, host, port) for e in allowed_hosts)


def _link_remote_images(html: str, allowed_hosts: Iterable[str]) -> str:
    allowed = tuple(allowed_hosts)

    def replace(match: re.Match[str]) -> str:
        attrs = {
            name.lower(): html_lib.unescape(value or "")
            for name, value in _ATTR.findall(match.group(1))
        }
        src = attrs.get("src", "")
        if not is_remote(src, allowed):
            return match.group(0)
        label = attrs.get("alt") or attrs.get("title") or src
        return (
            f'<a href="{html_lib.escape(src)}" class="{REMOTE_IMAGE_CLASS}" '
            f'title="Image on another site, not loaded">Image: {html_lib.escape(label)}</a>'
        )

    return _IMG.sub(replace, html)


def sanitize(html: str, *, image_hosts: Iterable[str] = ()) -> str:
    """Drop scripts, event handlers, style attributes and odd URL schemes; images from
    other hosts (unless listed in image_hosts) become links."""
    linked = _link_remote_images(_clean(html), image_hosts)
    # The rewritten markup is cleaned again, so the rewrite itself cannot add anything.
    return _clean(linked)


def _align_to_class(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            match = _ALIGN.match(str(token.attrs.get("style", "")))
            if match:
                del token.attrs["style"]
                token.attrSet("class", f"pm-align-{match.group(1)}")


def render(text: str, *, image_hosts: Iterable[str] = ()) -> str:
    """Markdown to sanitized HTML. Raw HTML in the source passes through markdown-it and is
    then cleaned like everything else: harmless tags stay, scripts and handlers go."""
    tokens = _md.parse(text or "")
    _align_to_class(tokens)
    return sanitize(_md.renderer.render(tokens, _md.options, {}), image_hosts=image_hosts)
