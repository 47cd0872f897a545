"""Search tokens: the unigrams and bigrams of a text, the shadow column the search index holds.

Neither PostgreSQL's pg_trgm nor SQLite's trigram tokenizer can serve a query of one or two
Chinese characters, and Python's sqlite3 cannot register a tokenizer; so the tokens are made
here, stored space-separated, and both databases only index words. A query's tokens (its
bigrams, or its single character) are all among the tokens of any text that holds the query as
a substring, because the normalisation works character by character: the index narrows, the
plain substring condition then decides.
"""

import unicodedata
from functools import lru_cache


def normalise(text: str) -> str:
    """NFKC and lower case per character, keeping letters and digits only (no punctuation,
    no space). Per character, so that a substring stays a substring once normalised."""
    return "".join(map(_fold, text))


@lru_cache(maxsize=1 << 16)  # bounded: any text may bring new characters
def _fold(ch: str) -> str:
    """One character's share of `normalise`."""
    return "".join(c for c in unicodedata.normalize("NFKC", ch).lower() if c.isalnum())


def text_tokens(*texts: str | None) -> str:
    """The unigrams and bigrams of each text, deduplicated, sorted, space-separated."""
    found = set()
    for text in texts:
        chars = normalise(text or "")
        found.update(chars)
        found.update(chars[i : i + 2] for i in range(len(chars) - 1))
    return " ".join(sorted(found))


def query_tokens(q: str) -> list[str]:
    """The tokens every match of `q` holds: its bigrams, or its one character; none when `q`
    has no letter or digit (then only the substring condition can answer)."""
    chars = normalise(q)
    if len(chars) == 1:
        return [chars]
    return sorted({chars[i : i + 2] for i in range(len(chars) - 1)})


def company_tokens(name: str | None, uscc: str | None, description: str | None) -> str:
    return text_tokens(name, uscc, description)
