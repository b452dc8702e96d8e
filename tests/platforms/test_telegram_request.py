"""The aiohttp request backend reads proxy variables once per host, not on every call."""

from __future__ import annotations

import pytest

from bot.platforms.telegram.request import AiohttpRequest


def test_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    request = AiohttpRequest()
    proxy, auth = request._proxy("https://api.telegram.org/bot123:abc/getMe")
    assert str(proxy) == "http://proxy.example:3128"
    assert auth is not None and auth.login == "user"
    assert request._proxy("http://127.0.0.1:8081/bot123:abc/getMe") == (None, None)


def test_proxy_read_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    request = AiohttpRequest()
    assert request._proxy("https://api.telegram.org/botX/getMe") == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    # The environment is read at the first call for a host; later calls reuse it.
    assert request._proxy("https://api.telegram.org/botX/deleteMessage") == (None, None)
    assert list(request._proxies) == ["https://api.telegram.org"]
