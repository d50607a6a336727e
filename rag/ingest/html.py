"""HTML to text: the main text and metadata of a page (trafilatura, with an lxml cleaner as the fallback).

Only plain text comes out: no markup, no script, no navigation, headers, footers, asides or forms. `read_html`
reads a whole page (title, author, canonical URL and date from its markup); `html_fragment_text` cleans a
fragment such as a feed record's body. `read_html_file` is the reader of .html and .htm files.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from rag.errors import SourceError
from rag.ingest.decode import normalise_newlines
from rag.ingest.library_logs import quiet_library_logs
from rag.ingest.metadata import published_date, title_from_stem
from rag.ingest.source import SourceFile
from rag.records import Article, safe_url

logger = logging.getLogger(__name__)
quiet_library_logs()  # their warnings about what they recover from are no user's business

# Tags that never hold article text; their whole subtree is dropped.
_NOISE_TAGS = frozenset(
    "script style nav footer header aside form noscript template iframe object embed svg math canvas button select "
    "input textarea label dialog menu audio video picture source track map head title meta link base".split()
)
_NOISE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu"})
# The same noise for trafilatura, pruned before it looks for the main text (its own heuristics keep <noscript>
# messages, for example). Head elements are left alone: the metadata is read from them.
_STYLE = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ ', 'abcdefghijklmnopqrstuvwxyz')"  # lower case, no spaces
_HIDING_STYLES = ("display:none;", "visibility:hidden;", "font-size:0;", "font-size:0px;")
"""Inline styles that keep an element's text from the reader: text a reader never sees is no part of the article
(and the classic hiding place of planted claims and orders to an AI assistant)."""
_NOISE_XPATHS = [
    *(f"//body//{tag}" for tag in sorted(_NOISE_TAGS - {"head", "title", "meta", "link", "base"})),
    "//body//*[@hidden]",
    *(f"//body//*[contains(concat({_STYLE}, ';'), '{declaration}')]" for style in _HIDING_STYLES
      for declaration in (style, style.replace(";", "!important;"))),
    *(f"//body//*[@role='{role}']" for role in sorted(_NOISE_ROLES)),
]
_BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table thead tbody tfoot tr "
    "figure figcaption address hr details summary caption center fieldset".split()
)
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|p|div|span|br|hr|a|b|i|u|em|strong|small|sub|sup|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|"
    r"tbody|tr|td|th|img|figure|figcaption|blockquote|pre|code|article|section|main|header|footer|nav|aside|"
    r"script|style|iframe|form|meta|link|title|noscript|svg|font|center|time|mark|abbr|cite|q|s|del|ins)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_WHOLE_PAGE = re.compile(r"<(html|body)\b", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """True when the text holds HTML tags (not merely a "<" in prose).

    >>> looks_like_html("<p>Rivers <b>rose</b>.</p>"), looks_like_html("if a < b and c > d")
    (True, False)
    """
    return _HTML_TAG.search(text) is not None


def is_whole_page(html: str) -> bool:
    """True when the HTML is a whole page (it has an `<html>` or `<body>` tag), not a fragment.

    >>> is_whole_page("<HTML><body><p>Hi</p></body></HTML>"), is_whole_page("<p>Hi</p>")
    (True, False)
    """
    return _WHOLE_PAGE.search(html) is not None


def html_fragment_text(html: str) -> str:
    """The readable text of an HTML document or fragment, one paragraph per block, without scripts, styles,
    navigation, headers, footers, asides or forms.

    >>> html_fragment_text('<nav>Home</nav><p>Rivers <b>rose</b>.<script>alert(1)</script></p><p>Then fell.</p>')
    'Rivers rose.\\n\\nThen fell.'
    """
    root = _parse_html(html)
    if root is None:
        return ""
    for selector in ("article", "main", "body"):
        found = root if root.tag == selector else root.find(f".//{selector}")
        text = _element_text(found) if found is not None else ""
        if text:
            return text
    return _element_text(root)


_UNCLOSED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31})(?![A-Za-z0-9;=])")
_CELL_OR_ROW = re.compile(r"<(/?)t([dhr])(?=[\s/>])", re.IGNORECASE)


def loosened(html: str) -> str:
    """Loosely written HTML made to read as meant, before it is parsed (one linear pass each):

    - a named entity without its semicolon ("800,000 &euro and") gets one: the parser decodes only the legacy
      names so ("&eacute", "&pound"; `html.unescape` does the same), and left "&euro" in the text. Not before "=",
      a letter or a figure, which "?a=1&lang=en" and "&eurox" are;
    - table cells and rows get white space before them, so that an extractor that reads a table's text whole
      ("Duration: three weeksPaint: 1,200 litres") still reads them apart.

    >>> loosened("<p>Cost: 5 &euro, 6 &hellip ?a=1&lang=en &eurox &amp;</p>")
    '<p>Cost: 5 &euro;, 6 &hellip; ?a=1&lang=en &eurox &amp;</p>'
    >>> loosened("<tr><td>three weeks<td>Paint</tr>")
    '\\n<tr> <td>three weeks <td>Paint\\n</tr>'
    """
    from html.entities import html5

    html = _UNCLOSED_ENTITY.sub(lambda m: f"&{m.group(1)};" if m.group(1) + ";" in html5 else m.group(0), html)
    return _CELL_OR_ROW.sub(lambda m: ("\n" if m.group(2).lower() == "r" else " ") + m.group(0), html)


def is_hidden_by_style(style: str) -> bool:
    """Whether an inline `style` hides the element's text from the reader: `_HIDING_STYLES`, an opacity of 0, or a
    text colour that is the element's own background colour (white on white, however each is written).

    >>> is_hidden_by_style("color: red; DISPLAY : none !important"), is_hidden_by_style("font-size: 0")
    (True, True)
    >>> is_hidden_by_style("color:#fff;background:#fff")
    True
    >>> is_hidden_by_style("color: White; background-color: rgb(255, 255, 255)")
    True
    >>> is_hidden_by_style("opacity: 0.0"), is_hidden_by_style("color:#fff;background:#000 url(sky.png)")
    (True, False)
    >>> is_hidden_by_style("opacity:0;transform:translateY(20px)")  # text that fades in as the page scrolls
    False
    >>> is_hidden_by_style("display: none-ish; font-size: 0.9em"), is_hidden_by_style("")
    (False, False)
    """
    compact = "".join(style.lower().split()).replace("!important", "") + ";"
    if any(hiding in compact for hiding in _HIDING_STYLES):
        return True
    colour = background = ""
    for declaration in style.lower().replace("!important", "").split(";"):
        name, _, value = (part.strip() for part in declaration.partition(":"))
        if name == "opacity" and _is_zero(value) and not re.search(r"(?:^|;)\s*(?:transform|transition|animation)",
                                                                     style.lower()):
            return True  # not text that fades in (server-rendered "opacity:0;transform:…" of animation libraries)
        if name == "color":
            colour = css_colour(value)
        elif name in ("background", "background-color"):
            # the shorthand names its colour among other parts ("#fff url(x.png) no-repeat"): the first colour
            background = next(filter(None, map(css_colour, _COLOUR_WORD.findall(value))), "")
    return bool(colour) and colour == background


_COLOUR_WORD = re.compile(r"rgba?\([^()]*\)|#?[\w-]+")


def _is_zero(value: str) -> bool:
    """Whether a CSS number ("0", "0.0", "0%") is zero.

    >>> _is_zero("0.0"), _is_zero("0%"), _is_zero("0.5"), _is_zero("")
    (True, True, False, False)
    """
    try:
        return float(value.removesuffix("%")) == 0
    except ValueError:
        return False


_NAMED_COLOURS = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "lime": "#00ff00", "blue": "#0000ff",
                  "yellow": "#ffff00", "silver": "#c0c0c0", "gray": "#808080", "grey": "#808080", "navy": "#000080",
                  "green": "#008000", "maroon": "#800000", "purple": "#800080", "teal": "#008080", "olive": "#808000",
                  "aqua": "#00ffff", "cyan": "#00ffff", "fuchsia": "#ff00ff", "magenta": "#ff00ff",
                  "whitesmoke": "#f5f5f5", "snow": "#fffafa", "ivory": "#fffff0"}
"""The CSS colour names that pages use for text and backgrounds (not all 148: a colour not known is no match)."""
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*(?:[,/]\s*(?:1|1\.0+|100%)\s*)?\)")


def css_colour(value: str) -> str:
    """A CSS colour as "#rrggbb"; "" for anything else (transparent, a gradient, a
    colour not opaque).

    >>> css_colour("#FFF"), css_colour("White"), css_colour("rgb(255 255 255)"), css_colour("#ffffffff")
    ('#ffffff', '#ffffff', '#ffffff', '#ffffff')
    >>> css_colour("rgba(0,0,0,0.5)"), css_colour("transparent"), css_colour("url(a.png)")
    ('', '', '')
    """
    value = value.strip().lower()
    if value in _NAMED_COLOURS:
        return _NAMED_COLOURS[value]
    if re.fullmatch(r"#[0-9a-f]{3}f?", value):
        return "#" + "".join(digit * 2 for digit in value[1:4])
    if re.fullmatch(r"#[0-9a-f]{6}(?:ff)?", value):
        return value[:7]
    rgb = _RGB.fullmatch(value)
    if rgb and all(int(part) <= 255 for part in rgb.groups()[:3]):
        return "#" + "".join(f"{int(part):02x}" for part in rgb.groups()[:3])
    return ""


def _parse_html(html: str) -> Any:
    import lxml.html
    from lxml.etree import ParserError

    # lxml refuses str input that carries an XML encoding declaration; the text is already decoded.
    html = loosened(re.sub(r"^\s*<\?xml[^>]*\?>", "", html))
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html if is_whole_page(html) else f"<div>{html}</div>")
    except (ParserError, ValueError):
        return None


def _element_text(element: Any) -> str:
    pieces: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if not tag:  # a comment or processing instruction: its content is not text (its tail is, below)
            return
        if (tag in _NOISE_TAGS or node.get("hidden") is not None or node.get("role", "").lower() in _NOISE_ROLES
                or is_hidden_by_style(node.get("style", ""))):
            return
        block = tag in _BLOCK_TAGS
        if block:
            pieces.append("\n\n")
        elif tag == "br":
            pieces.append("\n")
        elif tag in ("td", "th"):
            # cells apart ("three weeks | Paint: 1,200 litres"), each row a line of its own (a block, above)
            previous = node.getprevious()
            pieces.append(" | " if previous is not None and previous.tag in ("td", "th") else " ")
        if node.text:
            pieces.append(re.sub(r"\s+", " ", node.text))
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(re.sub(r"\s+", " ", child.tail))
        if block:
            pieces.append("\n\n")

    walk(element)
    paragraphs = []
    for paragraph in re.split(r"\n{2,}", "".join(pieces)):
        lines = [" ".join(line.split()) for line in paragraph.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


@dataclass
class HtmlPage:
    """What an HTML page yields: its main text and whatever metadata it declares."""

    text: str
    title: str = ""
    author: str = ""
    url: str = ""
    published: str = ""  # as found, not yet normalised
    site: str = ""  # the outlet the page names itself by (og:site_name)


def read_html(html: str) -> HtmlPage:
    """The main text and metadata of an HTML page: trafilatura first, the lxml cleaner for pages it rejects.
    Scripts and styles are taken out first: one inside the headline ("<h1>… <script>alert('h1')</script></h1>") put
    its code into the title.

    >>> read_html("<html><head><title>Parking vote</title></head><body><h1>Council votes on parking "
    ...           "<script>alert('h1')</script></h1><p>The council voted on Tuesday to raise parking charges.</p>"
    ...           "</body></html>").title
    'Council votes on parking'
    """
    import trafilatura

    html = loosened(without_scripts(html))
    document = None
    try:
        document = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            # Balanced mode: favor_precision drops real paragraphs of short articles, and trafilatura already
            # retries with recall when balanced extraction keeps too little of the page.
            favor_precision=False,
            prune_xpath=[*_NOISE_XPATHS, *hidden_style_xpaths(html)],
            # Dates from the page's markup only: an extensive search would take a date mentioned in the story.
            date_extraction_params={"original_date": True, "extensive_search": False, "max_date": "2100-12-31"},
        )
    except Exception as error:  # trafilatura is a large parser of untrusted input; fall back rather than fail
        logger.debug("trafilatura failed (%s); using the lxml cleaner", error)
    page = HtmlPage(text="")
    if document is not None and not isinstance(document, dict):
        page = HtmlPage(
            text=_trafilatura_paragraphs(document.text or ""),
            title=" ".join((document.title or "").split()),
            author=document.author or "",
            url=safe_url(document.url or ""),
            published=document.date or "",
        )
    if not page.text:
        page.text = html_fragment_text(html)
    page.site = _site_name(html)
    if not page.title or not page.url:
        _fill_from_markup(page, html)
    if page.title and page.text.startswith(page.title) and page.text[len(page.title):][:1] in ("", "\n", " "):
        # The headline usually opens the extracted text too; keep it only as the title (a whole line: the title
        # "T" took the "T" of "The wall cost…")
        page.text = page.text[len(page.title):].lstrip() or page.text
    return page


_STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def hidden_style_xpaths(html: str) -> list[str]:
    """XPaths to the elements whose inline style hides them in ways an XPath cannot tell (`_NOISE_XPATHS` has the
    rest): white text on a white background, however each colour is written. One pass over the page's `style`
    attributes (linear), one XPath naming the hiding ones.

    >>> hidden_style_xpaths('<p style="color:#fff;background:white">x</p><p style="color:red">y</p>')
    ['//body//*[@style="color:#fff;background:white"]']
    >>> hidden_style_xpaths('<p style="color:red">y</p>')
    []
    """
    hiding = {value for match in _STYLE_ATTRIBUTE.finditer(html)
              if is_hidden_by_style(value := unescape(next(group for group in match.groups() if group is not None)))}
    if not hiding:
        return []
    tests = " or ".join(f"@style={_xpath_literal(value)}" for value in sorted(hiding))
    return [f"//body//*[{tests}]"]


def _xpath_literal(value: str) -> str:
    """`value` as an XPath 1.0 string literal (which has no escapes: one holding both quote marks is a concat()).

    >>> print(_xpath_literal("it's"), _xpath_literal('say "no"'), _xpath_literal("it's " + '"no"'))
    "it's" 'say "no"' concat("it's ", '"', "no", '"', "")
    """
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return "concat(" + ", '\"', ".join(f'"{part}"' for part in value.split('"')) + ")"


def _trafilatura_paragraphs(text: str) -> str:
    """trafilatura puts one block per line; the chunker expects blank lines between paragraphs. Consecutive list
    items and table rows stay together."""
    lines = [line.rstrip() for line in normalise_newlines(text).split("\n") if line.strip()]
    pieces: list[str] = []
    for index, line in enumerate(lines):
        if index:
            together = all(other.lstrip().startswith(("- ", "| ")) for other in (line, lines[index - 1]))
            pieces.append("\n" if together else "\n\n")
        pieces.append(line)
    return "".join(pieces)


_SCRIPT_OR_STYLE_OPENING = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
_DATA_SCRIPT = re.compile(r"""\btype\s*=\s*["']?application/(?:ld\+)?json""", re.IGNORECASE)


def without_scripts(html: str) -> str:
    """`html` without its scripts and styles, in one pass (linear: a page of 20,000 unclosed "<script>" took 18 s
    with a lazy regex). A script holding data is kept (JSON-LD: the page's `datePublished` and author, which
    trafilatura reads); an unclosed one runs to the end of the page, as a browser reads it.

    >>> without_scripts('<h1>Vote <script>alert(1)</script>held</h1><style>p{}</style>')
    '<h1>Vote  held</h1> '
    >>> without_scripts('<script type="application/ld+json">{"datePublished": "2026-03-02"}</script><p>x')
    '<script type="application/ld+json">{"datePublished": "2026-03-02"}</script><p>x'
    """
    lowered = html.lower()
    pieces, cursor = [], 0
    while (opening := _SCRIPT_OR_STYLE_OPENING.search(html, cursor)) is not None:
        closing = lowered.find(f"</{opening.group(1).lower()}", opening.end())
        end = len(html) if closing < 0 else lowered.find(">", closing) + 1 or len(html)
        if _DATA_SCRIPT.search(opening.group(2)):
            pieces.append(html[cursor:end])
        else:
            pieces += [html[cursor:opening.start()], " "]
        cursor = end
    pieces.append(html[cursor:])
    return "".join(pieces)


_SITE_NAME = re.compile(r"<meta\b(?=[^>]*\bproperty=[\"']?og:site_name[\"'\s/>])[^>]*"
                        r"\bcontent=(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


def _site_name(html: str) -> str:
    """The outlet a page names itself by in its `og:site_name` meta tag; "" without one. Not trafilatura's site
    name: it falls back to the address's host or the `application-name` ("WordPress").

    >>> _site_name('<head><meta property="og:site_name" content="Kessling  Courier"></head>')
    'Kessling Courier'
    >>> _site_name('<meta name="application-name" content="WordPress">')
    ''
    >>> _site_name('<meta property="og:site_name" content="Evil <b>Gazette</b>">')
    'Evil Gazette'
    """
    found = _SITE_NAME.search(html[:200_000])
    if not found:
        return ""
    # markup in the attribute is text, not the outlet's name ("Evil <b>Gazette</b>" put "Evil <b>Gazette<" in the
    # source filter's list, cut at the "/")
    return " ".join(_TAG.sub(" ", unescape(found.group(1) or found.group(2) or "")).split())


_TAG = re.compile(r"<[^>]*>")


def _fill_from_markup(page: HtmlPage, html: str) -> None:
    root = _parse_html(html)
    if root is None:
        return
    if not page.title:
        for path in (".//title", ".//h1"):
            found = root.find(path)
            if found is not None and found.text_content().strip():
                page.title = " ".join(found.text_content().split())
                break
    if not page.url:
        for path, attribute in ((".//link[@rel='canonical']", "href"), (".//meta[@property='og:url']", "content")):
            found = root.find(path)
            if found is not None and safe_url(found.get(attribute, "")):
                page.url = safe_url(found.get(attribute, ""))
                break


def read_html_file(file: SourceFile, text: str) -> tuple[list[Article], list[SourceError]]:
    """An .html or .htm file's article: the page's main text, with its title, URL, author and date."""
    try:
        page = read_html(text)
    except Exception as error:  # a parser bug on one hostile page must not stop the others
        raise file.error(f"could not be parsed as HTML ({type(error).__name__}: {error})",
                         fix="open it in a browser to check it, or save the article's text as .txt") from error
    if not page.text:
        raise file.error("has no readable text (only markup, scripts or navigation)",
                         fix="check that it is an article page, not an index or login page, or save it as .txt")
    published, extra = published_date(page.published)
    # The outlet a saved page names (og:site_name) is its source, as a feed's title is: "reported by Kessling
    # Courier", and --source takes it; a page that names none is known by its file's name.
    article = file.article(page.title or title_from_stem(file.path), page.text, url=page.url, published=published,
                           author=" ".join(page.author.split()), metadata=extra, source=page.site)
    return [article], []
