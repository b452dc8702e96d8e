"""A python-telegram-bot request backend on aiohttp: same wire format, less CPU per call than httpx."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}

Timeout = float | None | DefaultValue[float] | DefaultValue[None]


class AiohttpRequest(BaseRequest):
    """HTTP/1.1 keep-alive pool of ``pool_size`` connections; form-encoded or multipart bodies.

    Measured on the Telegram benchmark, httpx/httpcore spent ~40% of the bot's CPU per Bot API
    call (it scans every pooled connection per request); aiohttp is already a dependency.

    Proxy variables (``HTTPS_PROXY``, ``NO_PROXY``...) are honoured as with httpx, but read once per
    host: aiohttp's ``trust_env`` re-reads them, and ``~/.netrc``, in a worker thread on every
    request (two thread hops per Bot API call, ~10% of the bot's CPU on the benchmark).
    """

    def __init__(
        self,
        pool_size: int = 8,
        read_timeout: float | None = 15.0,
        connect_timeout: float | None = 10.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                trust_env=False,  # proxy variables are read once per host (_proxy)
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The environment's proxy for ``url``'s scheme and host (None: connect directly)."""
        origin = url[: url.find("/", url.find("//") + 2)]  # scheme://host:port
        found = self._proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(URL(url))
            except LookupError:
                found = (None, None)
            self._proxies[origin] = found
        return found

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = None if isinstance(pool_timeout, DefaultValue) else pool_timeout
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                # multipart_data holds only the files: chat_id, caption... go in as plain fields.
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in request_data.multipart_data.items():
                    if isinstance(part, tuple):
                        filename, content, mime = part
                        form.add_field(name, content, filename=filename, content_type=mime)
                    else:
                        form.add_field(name, part)
                body = form
            else:
                # Encoded here as aiohttp's FormData would (same bytes), without its per-request
                # FormData/payload objects: most Bot API calls are a few short fields.
                body = urlencode(list(request_data.json_parameters.items()), doseq=True).encode()
                headers = _FORM
        timeout = self._timeouts.get((pool, connect, read))
        if timeout is None:
            timeout = self._timeouts[(pool, connect, read)] = aiohttp.ClientTimeout(
                total=None, connect=pool, sock_connect=connect, sock_read=read
            )
        try:
            proxy, proxy_auth = self._proxy(url)
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut(f"aiohttp: {exc!r}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp: {exc!r}") from exc
