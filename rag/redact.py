"""What a URL may show of itself: never its password or key, in messages, logs, `rag info` or `/api/health`.

A database URL (`--store postgresql://rag:secret@db/news`) and an LLM server's (`--llm-url
http://user:secret@host/v1?api_key=...`) both carry credentials; `masked` is the one form either is shown in.
"""

from __future__ import annotations

from urllib.parse import unquote

SECRET_PARAMETERS = frozenset({"password", "passwd", "pwd", "api_key", "apikey", "x_api_key", "key", "token",
                               "access_token", "auth", "authorization", "secret", "client_secret", "sig", "signature",
                               "sslpassword"})
"""Query parameters whose values are credentials (names compared lower-case, "-" as "_", %-escapes read)."""


def masked(url: str) -> str:
    """The URL with its password (and any credential parameter, `SECRET_PARAMETERS`) replaced by `***`. The
    credentials are what comes between "://" and the last "@" before the query: a password holding "/", "#" or "?"
    unescaped is masked whole too (masking too much is the safe side).

    >>> masked("postgresql://rag:s3cret@db.example:5432/news?sslmode=require")
    'postgresql://rag:***@db.example:5432/news?sslmode=require'
    >>> masked("postgresql:///news?host=/tmp&password=s3cret")
    'postgresql:///news?host=/tmp&password=***'
    >>> masked("http://admin:hunter2@127.0.0.1:9/v1?api_key=sk-1"), masked("http://127.0.0.1:8000/v1")
    ('http://admin:***@127.0.0.1:9/v1?api_key=***', 'http://127.0.0.1:8000/v1')
    >>> masked("http://sk-token@llm.example/v1")  # a user name alone may be the key
    'http://***@llm.example/v1'
    >>> masked("http://admin:pa/ss@host/v1?X-Api-Key=1&api%5Fkey=2")
    'http://admin:***@host/v1?X-Api-Key=***&api%5Fkey=***'
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    fragment_at = rest.find("#", rest.rfind("@") + 1)
    rest, fragment = (rest[:fragment_at], rest[fragment_at:]) if fragment_at >= 0 else (rest, "")
    query_at = rest.find("?", rest.rfind("@") + 1)
    rest, query = (rest[:query_at], rest[query_at + 1:]) if query_at >= 0 else (rest, None)
    credentials, at, location = rest.rpartition("@")
    if at:
        user, colon, _ = credentials.partition(":")
        if colon and "/" not in user:
            rest = f"{user}:***@{location}"
        elif colon or not scheme.startswith("postgres"):  # a database's user name is a name; a web URL's may be a key
            rest = f"***@{location}"
    if query is not None:
        rest += "?" + "&".join(
            f"{name}=***" if _parameter(name) in SECRET_PARAMETERS else f"{name}={value}" if sep else name
            for name, sep, value in (item.partition("=") for item in query.split("&") if item))
    return f"{scheme}://{rest}{fragment}"


def _parameter(name: str) -> str:
    """A query parameter's name as `SECRET_PARAMETERS` holds it: "X-Api-Key" and "api%5Fkey" are x_api_key, api_key."""
    return unquote(name).lower().replace("-", "_")
