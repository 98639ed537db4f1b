"""Reading an article: plain text or HTML into one text, its paragraphs, sentences and boilerplate.

The text built here is the evidentiary copy: every quote is a substring of it and every offset
counts its characters. Plain text is kept exactly as read (so its hash is the file's hash);
HTML is reduced to its article text with the standard library's HTML parser, dropping scripts,
navigation, comment forms, author boxes and the like. Boilerplate left in plain text (an author
box, "Leave a Reply") stays in the copy but is marked, and extraction skips it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ingest.evidence import sha256_hex

MAX_BYTES = 2 * 1024 * 1024  # one long article; extraction runs at about 50 KB a second
BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "figcaption",
    "dd",
    "dt",
    "header",
    "br",
    "hr",
    "address",
}
SKIP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "footer",
    "aside",
    "form",
    "button",
    "iframe",
    "select",
    "textarea",
    "canvas",
    "object",
    "head",
}
VOID_TAGS = {
    "br",
    "hr",
    "img",
    "meta",
    "link",
    "input",
    "source",
    "wbr",
    "area",
    "base",
    "col",
    "embed",
    "param",
    "track",
}
BOILERPLATE_ATTR = re.compile(
    r"comment|author|byline-box|share|social|related|sidebar|cookie|newsletter|subscribe|"
    r"breadcrumb|advert|\bads?\b|promo|menu|widget|footer|navigation|reply|signup|popup|modal",
    re.I,
)
# Blocks of plain text that begin the trailing page furniture (author box, comment form …).
BOILERPLATE_START = re.compile(
    r"^(About the author|About [A-Z][\w.'-]+( [A-Z][\w.'-]+){0,3}$|View all posts by|"
    r"Leave a (Reply|Comment)|"
    r"Your email address will not be published|Share this|Related (posts|articles|stories)|"
    r"Like this:|Click to share|Subscribe to|Filed under|Tags?:|Posted in|Follow us)",
    re.M,
)
# A header of "Field: value" lines opening a plain-text file (as saved by many clippers).
HEADER_LINE = re.compile(
    r"^(?P<key>Title|Headline|Publisher|Source|Site|Date|Published|Dato|Datum|URL|Link|"
    r"Author|Authors|By|Byline|Forfatter|Författare|Autor)[ \t]*:[ \t]*(?P<value>\S[^\n]*?)[ \t]*$",
    re.I | re.M,
)
HEADER_KEYS = {
    "title": "title",
    "headline": "title",
    "publisher": "publisher",
    "source": "publisher",
    "site": "publisher",
    "date": "published",
    "published": "published",
    "dato": "published",
    "datum": "published",
    "url": "url",
    "link": "url",
}
AUTHOR_LINE = re.compile(
    r"^(?:About|View all posts by)\s+([A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3})\s*$", re.M
)
ABBREVIATIONS = {
    "co",
    "ltd",
    "inc",
    "corp",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "no",
    "vs",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "u.n",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "gen",
    "gov",
    "prof",
    "rep",
    "sen",
    "jr",
    "sr",
    "approx",
    "est",
    "dept",
}
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
ENGLISH_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "this",
        "are",
        "or",
        "his",
        "from",
        "at",
        "which",
        "but",
        "have",
        "an",
        "they",
        "has",
        "had",
        "were",
        "their",
        "been",
        "its",
        "who",
        "would",
        "will",
        "more",
        "than",
        "said",
        "also",
        "after",
        "about",
        "into",
        "up",
        "out",
        "when",
        "can",
        "other",
        "these",
        "them",
        "some",
        "there",
        "our",
        "all",
    ]
)
WORD = re.compile(r"[^\W\d_]+", re.U)


class ExtractInputError(Exception):
    """Input that is not an article we can read: empty, binary, too large or unparseable."""


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    number: int  # 0 for a headline, body paragraphs from 1


@dataclass
class Document:
    text: str
    path: Path | None = None
    format: str = "text"
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    original_sha256: str | None = None
    encoding: str = "utf-8"
    boilerplate_from: int | None = None  # offset where trailing page furniture begins
    warnings: list[str] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    english: bool = True
    _p_starts: list[int] = field(default_factory=list, repr=False)
    _s_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.format == "text":
            self._read_header()
        self.paragraphs = split_paragraphs(self.text)
        self.sentences = split_sentences(self.text, self.paragraphs)
        if self.boilerplate_from is None and self.format == "text":
            self.boilerplate_from = find_boilerplate(self.text, self.paragraphs)
        if not self.authors:
            body_end = (
                self.boilerplate_from if self.boilerplate_from is not None else len(self.text)
            )
            self.authors = sorted(set(AUTHOR_LINE.findall(self.text[body_end:])))
        if self.title is None and self.paragraphs and self.paragraphs[0].number == 0:
            p = self.paragraphs[0]
            self.title = self.text[p.start : p.end].strip()
        self.english = looks_english(self.body)
        self._p_starts = [p.start for p in self.paragraphs]
        self._s_starts = [s[0] for s in self.sentences]

    def _read_header(self) -> None:
        """Title, publisher, date, URL and author from "Field: value" lines opening the text."""
        pos = len(self.text) - len(self.text.lstrip())
        while True:
            m = HEADER_LINE.match(self.text, pos)
            if m is None:
                break
            key, value = m.group("key").casefold(), m.group("value")
            field_name = HEADER_KEYS.get(key)
            if field_name == "url" and not value.startswith(("http://", "https://")):
                field_name = None
            if field_name and getattr(self, field_name) is None:
                setattr(self, field_name, value)
            elif field_name is None and key not in ("url", "link") and not self.authors:
                self.authors = [a.strip() for a in re.split(r",| and | og | och | und ", value)]
            pos = m.end() + 1
            if pos >= len(self.text):
                break

    @property
    def body_end(self) -> int:
        return self.boilerplate_from if self.boilerplate_from is not None else len(self.text)

    @property
    def body(self) -> str:
        return self.text[: self.body_end]

    def in_body(self, start: int) -> bool:
        return start < self.body_end

    def paragraph_at(self, offset: int) -> Paragraph | None:
        i = bisect_right(self._p_starts, offset)
        p = self.paragraphs[i - 1] if i else None
        return p if p is not None and offset < p.end else None

    def sentence_at(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self._s_starts, offset)
        s = self.sentences[i - 1] if i else None
        return s if s is not None and offset < s[1] else (offset, offset)

    def locator(self, start: int, end: int) -> str:
        p = self.paragraph_at(start)
        where = (
            "headline"
            if p is not None and p.number == 0
            else f"paragraph {p.number}"
            if p
            else "text"
        )
        return f"{where}, chars {start}-{end}"


def split_paragraphs(text: str) -> list[Paragraph]:
    """Blocks separated by blank lines; a short first line without a full stop is the headline."""
    out: list[Paragraph] = []
    for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text):
        start, end = m.start(), m.start() + len(m.group(0).rstrip())
        out.append(Paragraph(start, end, len(out) + 1))
    if out:
        first = text[out[0].start : out[0].end]
        if (
            len(out) > 1
            and "\n" not in first
            and len(first) < 200
            and not first.rstrip().endswith((".", ":"))
        ):
            out = [Paragraph(p.start, p.end, i) for i, p in enumerate(out)]
    return out


def split_sentences(text: str, paragraphs: list[Paragraph]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for p in paragraphs:
        start = p.start
        for m in SENTENCE_END.finditer(text, p.start, p.end):
            word = re.search(r"([\w.]+)\.?$", text[start : m.start() + 1])
            if word and word.group(1).lower().rstrip(".") in ABBREVIATIONS:
                continue
            if (
                word
                and re.fullmatch(r"\d{1,2}", word.group(1).rstrip("."))
                and text[m.start()] == "."
            ):
                continue  # "am 18. September": a German or Scandinavian day, not an ending
            out.append((start, m.end()))
            start = m.end()
            while start < p.end and text[start].isspace():
                start += 1
        if start < p.end:
            out.append((start, p.end))
    return out


def find_boilerplate(text: str, paragraphs: list[Paragraph]) -> int | None:
    """Offset of the first furniture block in the last third of the text, if any."""
    for p in paragraphs:
        if p.start < len(text) * 2 // 3:
            continue
        if BOILERPLATE_START.match(text, p.start, p.end):
            return p.start
    return None


def looks_english(text: str) -> bool:
    words = [w.lower() for w in WORD.findall(text[:200_000])]
    if len(words) < 12:
        return True  # too short to tell
    share = sum(w in ENGLISH_WORDS for w in words) / len(words)
    return share >= 0.12


# ---------------------------------------------------------------------- reading files


def decode(data: bytes, label: str) -> tuple[str, str]:
    """(text, encoding) or ExtractInputError for binary data."""
    if not data.strip():
        raise ExtractInputError(f"{label} is empty: there is no text to extract from")
    sample = data[:65536]
    controls = sum(b < 32 and b not in (9, 10, 12, 13) for b in sample)
    if b"\x00" in sample or controls > len(sample) // 20:
        raise ExtractInputError(
            f"{label} looks binary (NUL or control bytes), not text or HTML; extract reads "
            "UTF-8 text or HTML"
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ExtractInputError(
            f"{label} is neither UTF-8 nor Windows-1252 text (byte {exc.start}); re-save it as "
            "UTF-8"
        ) from None


def load_document(path: Path, fmt: str | None = None, max_bytes: int = MAX_BYTES) -> Document:
    """Read a text or HTML file into a Document, or raise ExtractInputError saying why not."""
    label = str(path)
    if not path.is_file():
        raise ExtractInputError(f"{label} is not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractInputError(
            f"{label} is {size / 1e6:.1f} MB; extract reads one article up to "
            f"{max_bytes / 1e6:.1f} MB "
            "(split the file, or raise the limit with --max-bytes)"
        )
    data = path.read_bytes()
    text, encoding = decode(data, label)
    fmt = fmt or (
        "html"
        if path.suffix.lower() in (".html", ".htm", ".xhtml") or _sniff_html(text)
        else "text"
    )
    if fmt == "html":
        doc = html_document(text)
        doc.original_sha256 = sha256_hex(data)
    elif fmt == "text":
        doc = Document(text=text)
        if encoding != "utf-8" or data.startswith(b"\xef\xbb\xbf"):
            doc.original_sha256 = sha256_hex(data)
    else:
        raise ExtractInputError(f"unknown --format {fmt!r}: use text or html")
    doc.path, doc.encoding = path, encoding
    if not doc.body.strip():
        raise ExtractInputError(
            f"{label} has no article text once markup and page furniture are removed"
        )
    return doc


def _sniff_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head)


class _ArticleParser(HTMLParser):
    """Collects visible article text in blocks, skipping page furniture; reads a few meta tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.blocks: list[list[str]] = [[]]
        self.article_blocks: list[list[str]] | None = None
        self.in_article = 0
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self._in_title = False
        self._in_h1 = False
        self._in_ld = False
        self._ld: list[str] = []
        self.linked_data: list[dict] = []

    @property
    def skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = a.get("property") or a.get("name") or ""
            if key and a.get("content"):
                self.meta.setdefault(key.lower(), a["content"].strip())
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.meta.setdefault("canonical", a["href"])
            return
        if tag == "time" and a.get("datetime"):
            self.meta.setdefault("time", a["datetime"])
        if tag == "title":
            self._in_title = True
        if tag == "script" and "ld+json" in a.get("type", "").lower():
            self._in_ld, self._ld = True, []
        if tag in VOID_TAGS:
            if tag in BLOCK_TAGS:
                self._break()
            return
        marker = " ".join((a.get("class", ""), a.get("id", ""), a.get("role", "")))
        skipped = tag in SKIP_TAGS or (
            tag not in ("body", "html", "article", "main") and bool(BOILERPLATE_ATTR.search(marker))
        )
        self.stack.append((tag, skipped))
        if tag in ("article", "main") and not self.skipping:
            self.in_article += 1
        if tag == "h1" and not self.skipping:
            self._in_h1 = True
        if tag in BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_ld:
            self._in_ld = False
            self.linked_data += _articles_in(self._ld)
        if tag == "title":
            self._in_title = False
        if tag == "h1":
            self._in_h1 = False
        if not any(t == tag for t, _ in self.stack):
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag in ("article", "main") and self.in_article:
                self.in_article -= 1
            if open_tag == tag:
                break
        if tag in BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self._ld.append(data)
            return
        if self._in_title:
            self.title_parts.append(data)
            return
        if self.skipping:
            return
        if self._in_h1:
            self.h1_parts.append(data)
        self.blocks[-1].append(data)
        if self.in_article:
            if self.article_blocks is None:
                self.article_blocks = [[]]
            self.article_blocks[-1].append(data)

    def _break(self) -> None:
        if self.blocks[-1]:
            self.blocks.append([])
        if self.article_blocks is not None and self.article_blocks[-1]:
            self.article_blocks.append([])


ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BlogPosting",
    "Report",
    "WebPage",
    "OpinionNewsArticle",
    "ScholarlyArticle",
}


def _articles_in(parts: list[str]) -> list[dict]:
    """The schema.org article objects of one JSON-LD block (also inside `@graph` and lists)."""
    try:
        data = json.loads("".join(parts))
    except ValueError:
        return []
    out: list[dict] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            kinds = item.get("@type")
            kinds = set(kinds) if isinstance(kinds, list) else {kinds}
            if kinds & ARTICLE_TYPES:
                out.append(item)
            if "@graph" in item:
                stack.append(item["@graph"])
    out.sort(key=lambda a: a.get("@type") == "WebPage")  # an article before its page
    return out


def _names(value: object) -> list[str]:
    """The names of a JSON-LD author or publisher: a string, an object or a list of them."""
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and name.strip() and not name.startswith("http"):
            out.append(name.strip())
    return out


def _clean(parts: list[str]) -> str:
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def html_document(html: str) -> Document:
    parser = _ArticleParser()
    parser.feed(html)
    parser.close()
    blocks = parser.article_blocks if parser.article_blocks else parser.blocks
    paragraphs = [t for t in (_clean(b) for b in blocks) if t]
    title = (
        _clean(parser.h1_parts) or parser.meta.get("og:title") or _clean(parser.title_parts) or None
    )
    if title and (not paragraphs or paragraphs[0] != title):
        paragraphs.insert(0, title)
    meta = parser.meta
    ld = parser.linked_data[0] if parser.linked_data else {}
    page = ld.get("mainEntityOfPage")
    page_url = page.get("@id") if isinstance(page, dict) else page
    published = (
        meta.get("article:published_time")
        or (ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None)
        or meta.get("time")
        or meta.get("date")
    )
    authors = _names(ld.get("author")) if ld.get("author") else []
    author = meta.get("author") or meta.get("article:author")
    if not authors and author and not author.startswith("http"):
        authors = [author]
    url = (
        meta.get("og:url")
        or meta.get("canonical")
        or (ld.get("url") if isinstance(ld.get("url"), str) else None)
        or (page_url if isinstance(page_url, str) else None)
    )
    publisher = meta.get("og:site_name") or next(iter(_names(ld.get("publisher"))), None)
    headline = ld.get("headline") if isinstance(ld.get("headline"), str) else None
    if headline and not _clean(parser.h1_parts) and not meta.get("og:title"):
        title = headline
    return Document(
        text="\n\n".join(paragraphs) + "\n",
        format="html",
        title=title,
        url=url if url and url.startswith(("http://", "https://")) else None,
        publisher=publisher,
        published=published,
        authors=authors,
        boilerplate_from=None,
    )
