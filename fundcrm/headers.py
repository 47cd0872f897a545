"""Headers on every response: a strict Content-Security-Policy, the referrer policy, one charset.

Pages load scripts and styles only from this site's own files (static/, vendored copies
included); a page that needs an inline script marks it with `nonce="{{ csp_nonce() }}"`.
"""

import secrets

from flask import Flask, Response, g
from werkzeug.http import dump_options_header, parse_options_header

# Bootstrap's stylesheet draws its icons (menu toggler, select arrows, close buttons) as
# data: SVG images. Bootstrap's and Popper's scripts set styles through the CSSOM, which the
# policy allows, so no inline style attribute needs to be permitted.
POLICY = (
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
)

# Only same-site pages learn which page a link was followed from: addresses carry search
# terms and record ids. Same-origin requests keep the referrer CSRF checks on HTTPS read.
REFERRER_POLICY = "same-origin"


def csp_nonce() -> str:
    """This response's script nonce (one per request, unguessable)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy() -> str:
    return "; ".join(POLICY).format(nonce=csp_nonce())


def add_security_headers(response: Response) -> Response:
    """Browsers must not guess content types (uploads are served as what they were checked to
    be), frame the app from elsewhere, run scripts the app did not send, or leak addresses."""
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if response.mimetype.startswith("text/"):
        _one_charset(response)
    return response


def _one_charset(response: Response) -> None:
    """Text says its charset exactly once (a type given with its charset must not get a
    second one appended), UTF-8 unless the response chose another."""
    mimetype, options = parse_options_header(response.content_type)
    options["charset"] = options.get("charset") or "utf-8"
    response.headers["Content-Type"] = dump_options_header(mimetype, options)


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
