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


# A query's bigrams the index is asked for, at most: every match holds all of them, so any
# few narrow as well as all, and the substring condition decides (a 500-character query asks
# the index for 8 tokens, not 499).
MAX_QUERY_TOKENS = 8


def query_tokens(q: str) -> list[str]:
    """Tokens every match of `q` holds: its bigrams (at most MAX_QUERY_TOKENS of them, spread
    over the query), or its one character; none when `q` has no letter or digit (then only
    the substring condition can answer)."""
    chars = normalise(q)
    if len(chars) == 1:
        return [chars]
    bigrams = list(dict.fromkeys(chars[i : i + 2] for i in range(len(chars) - 1)))
    if len(bigrams) > MAX_QUERY_TOKENS:
        step = (len(bigrams) - 1) / (MAX_QUERY_TOKENS - 1)
        bigrams = [bigrams[round(k * step)] for k in range(MAX_QUERY_TOKENS)]
    return sorted(bigrams)


def company_tokens(name: str | None, uscc: str | None, description: str | None) -> str:
    return text_tokens(name, uscc, description)
