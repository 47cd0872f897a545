"""The browser tab shows the fund's mark: the icons a page links and /favicon.ico load, signed
in or not, as images the Content-Security-Policy allows."""

import re

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"')


def test_the_linked_icons_and_favicon_ico_answer_with_images(client):
    page = client.get("/login").get_data(as_text=True)
    linked = ICON_LINK.findall(page)
    assert len(linked) == 2, page[:600]
    types = {}
    for url in [*linked, "/favicon.ico"]:
        response = client.get(url)
        assert response.status_code == 200, url
        types[url] = response.mimetype
        assert response.mimetype.startswith("image/"), (url, response.mimetype)
    assert "image/svg+xml" in types.values()
    assert client.get("/favicon.ico").data[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_the_policy_lets_pages_load_their_own_icons(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self'" in policy
