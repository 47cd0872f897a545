"""Calling the JSON API in tests as a program would: a personal token in the header."""

import pytest
from sqlmodel import Session

from fundcrm.auth.tokens import create_token
from fundcrm.models import User


def token_for(app, user_id: int, days: int | None = 30, name: str = "tests") -> str:
    """A new token acting as the user; its secret (shown once)."""
    with app.app_context(), Session(app.extensions["fundcrm.engine"]) as session:
        made = create_token(session, session.get(User, user_id), name, days)
        session.commit()
        return made.secret


class ApiClient:
    """The test client with a token and a language: `api.get("/companies")`."""

    def __init__(self, client, secret: str, language: str = "en"):
        self.client, self.secret, self.language = client, secret, language

    def headers(self, extra=None) -> dict:
        headers = {"Authorization": f"Bearer {self.secret}", "Accept-Language": self.language}
        return {**headers, **(extra or {})}

    def call(self, method: str, path: str, **kwargs):
        kwargs["headers"] = self.headers(kwargs.get("headers"))
        return self.client.open("/api/v1" + path, method=method, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)


@pytest.fixture
def api_as(app, client, make_user):
    """`api_as("manager")` → (ApiClient, user id) for a new user with those roles."""

    def make(*roles: str, language: str = "en"):
        user_id, _email = make_user(*roles)
        return ApiClient(app.test_client(), token_for(app, user_id), language), user_id

    return make
