"""Fake Twilio REST API (Programmable Messaging) served over real HTTP on 127.0.0.1.

Pointing the real twilio 9.x client at it
----------------------------------------
Every REST domain object has a plain ``base_url`` attribute (``"https://api.twilio.com"``
for ``client.api``) that is read on each request (``Domain.absolute_url``), so::

    client = twilio.rest.Client(fake.account_sid, fake.auth_token)
    client.api.base_url = fake.url          # client.messages -> client.api.account.messages
    client.messages.create(to="whatsapp:+51...", from_="whatsapp:+1...", body="hola")
    ...
    client.http_client.session.close()      # requests.Session: close it, or ResourceWarning

(``fake.make_client()`` does exactly this; ``fake.close_clients()``/``stop()`` close them.)
``edge``/``region`` (and the TWILIO_EDGE/TWILIO_REGION env vars) must stay unset: when set,
``Client.get_hostname`` rewrites the URL's host and would mangle ``127.0.0.1:<port>``.

Async: ``twilio.http.async_http_client.AsyncTwilioHttpClient`` (aiohttp + aiohttp_retry,
both installed) works against the fake -- construct it *inside* a running event loop::

    client = Client(sid, token, http_client=AsyncTwilioHttpClient())
    client.api.base_url = fake.url
    await client.messages.create_async(...)
    await client.http_client.close()

Note: on the real API, 63016 ("outside the allowed window") is usually *not* a synchronous
REST error -- the create returns 201 and the failure arrives later via StatusCallback with
ErrorCode=63016.  ``fail_to(..., freeform_only=True)`` makes it synchronous for tests that
want a TwilioRestException; use ``StatusCallback`` recording to simulate the async path.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import ASGIServer

__all__ = [
    "FakeTwilio",
    "TwilioCall",
    "make_whatsapp_inbound",
    "sign_twilio_request",
]

T = TypeVar("T")

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
WINDOW_MESSAGE = (
    "Failed to send freeform message because you are outside the allowed window. "
    "If you are using WhatsApp, please use a Message Template."
)


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _bare_number(value: str | None) -> str:
    value = (value or "").strip()
    return value.split(":", 1)[1] if value.startswith("whatsapp:") else value


@dataclass
class TwilioCall:
    """One POST .../Messages.json received by the fake."""

    params: dict[str, str]  # the raw form fields (To, From, Body, ContentSid, ...)
    at: float  # time.monotonic() at arrival
    account_sid: str
    status: int | None = None  # HTTP status returned (201 on success)
    response: dict[str, Any] | None = None  # JSON returned (message resource or error)

    @property
    def ok(self) -> bool:
        return self.status == 201

    @property
    def sid(self) -> str | None:
        return (self.response or {}).get("sid") if self.ok else None

    @property
    def to(self) -> str | None:
        return self.params.get("To")

    @property
    def from_(self) -> str | None:
        return self.params.get("From")

    @property
    def body(self) -> str | None:
        return self.params.get("Body")

    @property
    def content_sid(self) -> str | None:
        return self.params.get("ContentSid")

    @property
    def content_variables(self) -> dict[str, Any] | None:
        """ContentVariables decoded from JSON (raw string in params["ContentVariables"])."""
        raw = self.params.get("ContentVariables")
        return json.loads(raw) if raw else None

    @property
    def status_callback(self) -> str | None:
        return self.params.get("StatusCallback")

    @property
    def is_template(self) -> bool:
        return bool(self.content_sid)

    def __getitem__(self, key: str) -> str | None:  # call["Body"]
        return self.params.get(key)


@dataclass
class _Failure:
    remaining: int
    status: int
    code: int
    message: str


@dataclass
class _ToFailure:
    status: int
    code: int
    message: str
    freeform_only: bool


@dataclass
class _State:
    calls: list[TwilioCall] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    to_failures: dict[str, _ToFailure] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeTwilio:
    """Fake ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (+ GET Messages/{sid})."""

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        latency: float = 0.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = latency
        self._lock = threading.Lock()
        self._state = _State()
        self._clients: list[Any] = []
        base = "/2010-04-01/Accounts/{account_sid}"
        self._server = ASGIServer(
            Starlette(
                routes=[
                    Route(base + "/Messages.json", self._create, methods=["POST"]),
                    Route(base + "/Messages/{sid}.json", self._fetch, methods=["GET"]),
                ]
            )
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeTwilio:
        self._server.start()
        return self

    def stop(self) -> None:
        self.close_clients()
        self._server.stop()

    def close_clients(self) -> None:
        """Close the requests.Session of every client built by :meth:`make_client`."""
        clients, self._clients = self._clients, []
        for client in clients:
            session = getattr(client.http_client, "session", None)
            if session is not None and hasattr(session, "mount"):  # requests.Session
                session.close()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` -- assign to ``client.api.base_url``."""
        return self._server.url

    def make_client(
        self, account_sid: str | None = None, auth_token: str | None = None, **kwargs: Any
    ) -> Any:
        """A real sync ``twilio.rest.Client`` pointed at this fake; its requests.Session
        is closed by :meth:`close_clients` / :meth:`stop` (the fixture does it per test)."""
        from twilio.rest import Client

        client = Client(account_sid or self.account_sid, auth_token or self.auth_token, **kwargs)
        client.api.base_url = self.url
        self._clients.append(client)
        return client

    # ------------------------------------------------------------------ control API
    @property
    def requests(self) -> list[TwilioCall]:
        """Every Messages.json POST, including rejected ones (snapshot)."""
        with self._lock:
            return list(self._state.calls)

    @property
    def sent(self) -> list[TwilioCall]:
        """Accepted (201) message creations (snapshot)."""
        with self._lock:
            return [c for c in self._state.calls if c.status == 201]

    def sent_to(self, number: str) -> list[TwilioCall]:
        """Accepted messages to ``number`` ("whatsapp:" prefix optional on either side)."""
        bare = _bare_number(number)
        return [c for c in self.sent if _bare_number(c.to) == bare]

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        code: int = 20429,
        message: str = "Too Many Requests",
    ) -> None:
        """Reject the next ``n`` Messages.json POSTs with a Twilio error body."""
        with self._lock:
            self._state.failures.append(_Failure(n, status, code, message))

    def fail_to(
        self,
        number: str,
        status: int = 400,
        code: int = 63016,
        message: str = WINDOW_MESSAGE,
        *,
        freeform_only: bool = False,
    ) -> None:
        """Persistently reject sends to ``number``. With ``freeform_only=True`` only Body
        sends fail; ContentSid (template) sends still succeed -- the 24h-window rule."""
        with self._lock:
            self._state.to_failures[_bare_number(number)] = _ToFailure(
                status, code, message, freeform_only
            )

    def close_window(self, number: str) -> None:
        """Shortcut: ``fail_to(number, 400, 63016, freeform_only=True)``."""
        self.fail_to(number, freeform_only=True)

    def unfail_to(self, number: str) -> None:
        with self._lock:
            self._state.to_failures.pop(_bare_number(number), None)

    def reset(self) -> None:
        with self._lock:
            self._state = _State()
        self.latency = 0.0

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Poll ``predicate()`` (blocking) until truthy; return it or raise AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"FakeTwilio.wait_for: condition not met in {timeout}s")
            time.sleep(interval)

    async def wait_for_async(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"FakeTwilio.wait_for: condition not met in {timeout}s")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ HTTP side
    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return (
            secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and request.path_params["account_sid"] == self.account_sid
        )

    async def _fetch(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(_error(401, 20003, "Authenticate"), status_code=401)
        with self._lock:
            message = self._state.messages.get(request.path_params["sid"])
        if message is None:
            resource = f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
            body = _error(
                404,
                20404,
                f"The requested resource {resource}{request.path_params['sid']}.json was not found",
            )
            return JSONResponse(body, status_code=404)
        return JSONResponse(message, status_code=200)

    async def _create(self, request: Request) -> JSONResponse:
        form = await request.form()
        params = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        await form.close()
        call = TwilioCall(
            params=params, at=time.monotonic(), account_sid=request.path_params["account_sid"]
        )
        with self._lock:
            self._state.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        status, body = self._decide(request, params)
        with self._lock:
            call.status = status
            call.response = body
            if status == 201:
                self._state.messages[body["sid"]] = body
        return JSONResponse(body, status_code=status)

    def _decide(self, request: Request, p: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not self._authorized(request):
            return 401, _error(401, 20003, "Authenticate")
        with self._lock:
            if self._state.failures:
                failure = self._state.failures[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._state.failures.pop(0)
                return failure.status, _error(failure.status, failure.code, failure.message)
            to_failure = self._state.to_failures.get(_bare_number(p.get("To")))
        if to_failure is not None and not (to_failure.freeform_only and p.get("ContentSid")):
            return to_failure.status, _error(to_failure.status, to_failure.code, to_failure.message)
        if not p.get("To"):
            return 400, _error(400, 21604, "A 'To' phone number is required.")
        if not p.get("From") and not p.get("MessagingServiceSid"):
            return 400, _error(400, 21603, "A 'From' phone number is required.")
        if not (p.get("Body") or p.get("ContentSid") or p.get("MediaUrl")):
            return 400, _error(400, 21619, "A text message body or media urls must be specified.")
        if p.get("ContentVariables"):
            try:
                json.loads(p["ContentVariables"])
            except ValueError:
                return 400, _error(400, 21656, "The ContentVariables Parameter is invalid.")
        return 201, self._message_resource(p)

    def _message_resource(self, p: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=False)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": p.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": p.get("From"),
            "messaging_service_sid": p.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if p.get("From") else "accepted",
            "subresource_uris": {
                "media": uri.replace(".json", "/Media.json"),
            },
            "to": p.get("To"),
            "uri": uri,
        }


# ---------------------------------------------------------------------- webhook helpers
def sign_twilio_request(auth_token: str, url: str, params: dict[str, Any]) -> str:
    """``X-Twilio-Signature`` value Twilio would send for a form POST of ``params`` to
    ``url`` (the full public URL, including query string)."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(auth_token).compute_signature(url, params)


def make_whatsapp_inbound(
    body: str = "",
    *,
    from_: str = "whatsapp:+51987654321",
    to: str = "whatsapp:+14155238886",
    profile_name: str = "Ana",
    wa_id: str | None = None,
    message_sid: str | None = None,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    num_media: int = 0,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str | None = None,
    label: str | None = None,
    button_payload: str | None = None,
    button_text: str | None = None,
    media: list[tuple[str, str]] | None = None,  # [(url, content_type)]
    **extra: str,
) -> dict[str, str]:
    """Form fields of an inbound WhatsApp message webhook, as Twilio posts them."""
    sid = message_sid or "SM" + secrets.token_hex(16)
    if not from_.startswith("whatsapp:"):
        from_ = "whatsapp:" + from_
    media = media or []
    num_media = max(num_media, len(media))
    if latitude is not None and longitude is not None:
        message_type = "location"
    elif button_payload is not None or button_text is not None:
        message_type = "button"
    elif num_media:
        message_type = "image"
    else:
        message_type = "text"
    form: dict[str, str] = {
        "SmsMessageSid": sid,
        "NumMedia": str(num_media),
        "ProfileName": profile_name,
        "MessageType": message_type,
        "SmsSid": sid,
        "WaId": wa_id or _bare_number(from_).lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    if latitude is not None:
        form["Latitude"] = str(latitude)
    if longitude is not None:
        form["Longitude"] = str(longitude)
    if address is not None:
        form["Address"] = address
    if label is not None:
        form["Label"] = label
    if button_payload is not None:
        form["ButtonPayload"] = button_payload
    if button_text is not None:
        form["ButtonText"] = button_text
    for i, (url, content_type) in enumerate(media):
        form[f"MediaUrl{i}"] = url
        form[f"MediaContentType{i}"] = content_type
    form.update({k: str(v) for k, v in extra.items()})
    return form
