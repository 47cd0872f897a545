"""The shape the code keeps: queries in each feature's queries.py, every permission decision in
permissions.py, and modules small enough to read."""

import re

from fundcrm import ROOT

PACKAGE = ROOT / "fundcrm"
MAX_LINES = 400


def _route_modules():
    """Every module that declares routes on a blueprint."""
    return [p for p in PACKAGE.rglob("*.py") if re.search(r"^@bp\.", p.read_text(), re.M)]


def test_views_hold_no_queries():
    with_select = [str(p.relative_to(ROOT)) for p in _route_modules() if "select(" in p.read_text()]
    assert with_select == []


def test_each_feature_with_views_has_its_queries_module():
    features = {p.parent for p in _route_modules()}
    assert (
        sorted(str(f.relative_to(ROOT)) for f in features if not (f / "queries.py").exists()) == []
    )


def test_roles_are_read_only_by_the_permissions_module():
    allowed = {PACKAGE / "permissions.py", PACKAGE / "models" / "users.py"}
    readers = [
        str(p.relative_to(ROOT))
        for p in [*PACKAGE.rglob("*.py"), *(ROOT / "templates").rglob("*.html")]
        if p not in allowed and "has_role(" in p.read_text()
    ]
    assert readers == []


def test_no_module_is_over_the_size_a_reader_holds_in_mind():
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
