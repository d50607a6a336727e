"""What a URL may show of itself: never its password or key, in messages, logs, `rag info` or `/api/health`.

A database URL (`--store postgresql://rag:secret@db/news`) and an LLM server's (`--llm-url
http://user:secret@host/v1?api_key=...`) both carry credentials; `masked` is the one form either is shown in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SECRET_PARAMETERS = frozenset({"password", "passwd", "api_key", "apikey", "key", "token", "access_token", "secret",
                               "sslpassword"})
"""Query parameters whose values are credentials."""


def masked(url: str) -> str:
    """The URL with its password (and any credential parameter, `SECRET_PARAMETERS`) replaced by `***`.

    >>> masked("postgresql://rag:s3cret@db.example:5432/news?sslmode=require")
    'postgresql://rag:***@db.example:5432/news?sslmode=require'
    >>> masked("postgresql:///news?host=/tmp&password=s3cret")
    'postgresql:///news?host=/tmp&password=***'
    >>> masked("http://admin:hunter2@127.0.0.1:9/v1?api_key=sk-1"), masked("http://127.0.0.1:8000/v1")
    ('http://admin:***@127.0.0.1:9/v1?api_key=***', 'http://127.0.0.1:8000/v1')
    >>> masked("http://sk-token@llm.example/v1")  # a user name alone may be the key
    'http://***@llm.example/v1'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, host = netloc.rpartition("@")
        user, colon, _ = credentials.partition(":")
        if colon:
            netloc = f"{user}:***@{host}"
        elif not parts.scheme.startswith("postgres"):  # a database's user name is a name; a web URL's may be a key
            netloc = f"***@{host}"
    query = "&".join(
        f"{name}=***" if name.lower() in SECRET_PARAMETERS else f"{name}={value}" if sep else name
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return (
        f"{parts.scheme}://{netloc}{parts.path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )
