"""The sandbox as one WSGI application, plus its Python control API."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import struct
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from . import faults
from .api import AccountingApi
from .calls import CallLog
from .clock import Clock, parse_time
from .company import DELETABLE, Company, canonical
from .faults import Reply
from .injection import FaultInjector, FaultRule
from .limits import Limiter
from .oauth import ACCOUNTING, OAuthServer
from .store import App, Store, User

log = logging.getLogger("qbo_sandbox")
REQUESTID_MAX = 50


def intuit_tid() -> str:
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


def to_response(reply: Reply) -> Response:
    resp = Response(reply.body, status=reply.status, content_type=reply.content_type)
    for k, v in reply.headers.items():
        resp.headers[k] = v
    return resp


class Sandbox:
    """All state of one sandbox instance. Call it as a WSGI app, or use the methods below."""

    def __init__(self, base_url: str | None = None) -> None:
        self.clock = Clock()
        self.store = Store(self.clock)
        self.oauth = OAuthServer(self.store, self.clock)
        self.limiter = Limiter(self.clock)
        self.injector = FaultInjector()
        self.calls = CallLog()
        self.api = AccountingApi(self)
        self.base_url = base_url.rstrip("/") if base_url else None
        from .admin import AdminApi

        self.admin = AdminApi(self)

    # --- Python control API -------------------------------------------------------------

    def register_app(self, redirect_uris: Iterable[str], client_id: str | None = None,
                     client_secret: str | None = None, name: str = "Sandbox app") -> App:
        return self.store.register_app(redirect_uris, client_id, client_secret, name)

    def create_user(self, username: str, password: str, email: str | None = None,
                    given_name: str = "", family_name: str = "") -> User:
        return self.store.create_user(username, password, email, given_name, family_name)

    def create_company(self, realm_id: str | None = None, name: str | None = None,
                       admins: Iterable[str] = (), users: Iterable[str] = (),
                       seed: str = "craigs", sizes: dict[str, int] | None = None,
                       country: str = "US", multicurrency: bool = False,
                       warn_duplicate_bill_number: bool = False,
                       plan: str = "QuickBooks Online Plus") -> Company:
        """`plan`: CompanyInfo's OfferingSku; a plan without purchase orders (Simple Start,
        Essentials) is seeded without them."""
        return self.store.create_company(
            realm_id, name or "Craig's Design and Landscaping Services", country, admins, users,
            seed, sizes, multicurrency, warn_duplicate_bill_number, plan)

    def company(self, realm_id: str) -> Company:
        return self.store.company(realm_id)

    def set_warn_duplicate_bill_number(self, realm_id: str, on: bool) -> None:
        self.store.set_warn_duplicate_bill_number(self.company(realm_id), on)

    def create_object(self, realm_id: str, entity: str, body: dict[str, Any],
                      allow_duplicate_doc_number: bool = True) -> dict[str, Any]:
        """Play the accountant: create as if typed into QBO (same validation, no limits)."""
        return self.store.create(self.company(realm_id), _entity(entity), body,
                                 allow_dup=allow_duplicate_doc_number, admin=True)

    def update_object(self, realm_id: str, entity: str, obj_id: str,
                      changes: dict[str, Any]) -> dict[str, Any]:
        """Sparse update as the accountant (no SyncToken needed), e.g. {"Active": False}."""
        body = {**changes, "Id": obj_id, "sparse": True}
        return self.store.update(self.company(realm_id), _entity(entity), body,
                                 allow_dup=True, admin=True)

    def delete_object(self, realm_id: str, entity: str, obj_id: str) -> dict[str, Any]:
        """Delete a transaction, or deactivate a name-list object."""
        entity = _entity(entity)
        company = self.company(realm_id)
        if entity in DELETABLE:
            return self.store.delete(company, entity, {"Id": obj_id}, admin=True)
        return self.update_object(realm_id, entity, obj_id, {"Active": False})

    def get_object(self, realm_id: str, entity: str, obj_id: str) -> dict[str, Any]:
        with self.store.lock:
            return json.loads(json.dumps(
                self.store.read(self.company(realm_id), _entity(entity), obj_id)))

    def list_objects(self, realm_id: str, entity: str) -> list[dict[str, Any]]:
        with self.store.lock:
            objs = list(self.company(realm_id).objects[_entity(entity)].values())
            return json.loads(json.dumps(objs))

    def reconcile_payment(self, realm_id: str, payment_id: str,
                          on: bool = True) -> dict[str, Any]:
        """Mark a bill payment reconciled in the bank (on=False un-reconciles it), as the
        accountant would; the Accounting API then refuses to change, void or delete it."""
        return self.store.set_reconciled(self.company(realm_id), payment_id, on)

    def pay_bill(self, realm_id: str, bill_id: str, amount: float | None = None,
                 pay_type: str = "Check") -> dict[str, Any]:
        """Record a (possibly partial) payment of a bill, as the accountant would."""
        company = self.company(realm_id)
        with self.store.lock:
            bill = self.store.read(company, "Bill", bill_id)
            accounts = company.objects["Account"]
            wanted = "Bank" if pay_type == "Check" else "Credit Card"
            account = next(i for i, a in accounts.items()
                           if a.get("AccountType") == wanted and a.get("Active"))
            value = round(float(bill["Balance"] if amount is None else amount), 2)
            body: dict[str, Any] = {
                "VendorRef": {"value": bill["VendorRef"]["value"]}, "PayType": pay_type,
                "TotalAmt": value,
                "Line": [{"Amount": value, "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}],
            }
            key = "CheckPayment" if pay_type == "Check" else "CreditCardPayment"
            ref_key = "BankAccountRef" if pay_type == "Check" else "CCAccountRef"
            body[key] = {ref_key: {"value": account}}
            return self.store.create(company, "BillPayment", body, admin=True)

    def inject_fault(self, kind: str, count: int = 1, realm: str | None = None,
                     path: str = "*", method: str | None = None,
                     seconds: float = 0.0) -> FaultRule:
        """kind: 429, 500, 503, delay, reset, commit_then_fail."""
        return self.injector.add(kind, count, realm, path, method, seconds)

    def clear_faults(self) -> None:
        self.injector.clear()

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def freeze_clock(self, at: float | str | None = None) -> None:
        """Fix "now" (epoch or ISO 8601); None unfreezes."""
        if isinstance(at, str):
            at = parse_time(at)
        self.clock.set_fixed(at)

    def set_limits(self, **changes: Any) -> dict[str, Any]:
        """enabled, per_second, per_minute, batch_per_minute."""
        self.limiter.configure(**changes)
        return self.limiter.describe()

    def grant_tokens(self, realm_id: str, client_id: str | None = None,
                     username: str = "admin",
                     scopes: Iterable[str] = ("com.intuit.quickbooks.accounting",)
                     ) -> dict[str, Any]:
        """The token endpoint's answer for a realm without the consent page (benches and
        API tests; the OAuth flow itself is tested through the pages)."""
        with self.store.lock:
            if client_id is None:
                if not self.store.apps:
                    raise ValueError("register an app first")
                client_id = next(iter(self.store.apps))
        return self.oauth.grant_without_consent(client_id, realm_id, username, list(scopes))

    def issued_secrets(self) -> set[str]:
        """Every authorization code, token and client secret this sandbox handed out."""
        with self.store.lock:
            apps = {app.client_secret for app in self.store.apps.values()}
            return set(self.oauth.issued) | apps

    def call_count(self, realm_id: str, key: str | None = None) -> int:
        return self.calls.count(realm_id, key)

    # --- WSGI -------------------------------------------------------------------------------

    def public_base(self, req: Request) -> str:
        return self.base_url or req.host_url.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        req = Request(environ)
        try:
            resp = self.dispatch(req)
        except ConnectionResetError:
            raise
        except Exception:  # a bug in the sandbox: answer like QBO's SystemFault
            log.exception("sandbox error on %s %s", req.method, req.path)
            resp = to_response(faults.server_error(self.clock.now()))
        resp.headers["intuit_tid"] = intuit_tid()
        return resp(environ, start_response)

    def dispatch(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/_sandbox"):
            return self.admin.handle(req)
        parts = path.strip("/").split("/")
        realm = parts[2] if len(parts) >= 3 and parts[:2] == ["v3", "company"] else None
        rule = self.injector.take(realm, path, req.method)
        if rule is not None:
            if rule.kind == "delay":
                time.sleep(rule.seconds)
            elif rule.kind == "reset":
                _reset_connection(req)
            elif rule.kind != "commit_then_fail":
                return to_response(self._injected(rule.kind))
        resp = self._route(req, path, parts, realm)
        if rule is not None and rule.kind == "commit_then_fail":
            # The work is done (and any requestid remembered); only the answer is lost.
            return to_response(faults.server_error(self.clock.now()))
        return resp

    def _injected(self, kind: str) -> Reply:
        now = self.clock.now()
        if kind == "429":
            return faults.throttled(now)
        if kind == "503":
            return faults.service_unavailable()
        return faults.server_error(now)

    def _route(self, req: Request, path: str, parts: list[str], realm: str | None) -> Response:
        base = self.public_base(req)
        method = req.method
        if realm is not None:
            return to_response(self._accounting(req, realm, parts[3:]))
        if path in ("/.well-known/openid-configuration", "/.well-known/openid_configuration",
                    "/.well-known/openid_sandbox_configuration"):
            return _json(self.oauth.discovery(base))
        if path == "/op/v1/jwks":
            return _json(self.oauth.jwks())
        if path == "/connect/oauth2" and method == "GET":
            return self.oauth.authorize(req)
        if path == "/connect/oauth2/signin" and method == "POST":
            return self.oauth.signin(req)
        if path == "/connect/oauth2/choose" and method == "GET":
            return self.oauth.choose(req)
        if path == "/connect/oauth2/signout" and method == "GET":
            return self.oauth.signout(req)
        if path == "/connect/oauth2/consent" and method == "POST":
            return self.oauth.consent(req)
        if path == "/oauth2/v1/tokens/bearer" and method == "POST":
            answer = self.oauth.token(req, base)
            # Counted under the pseudo-realm "oauth" by grant type (no token values).
            grant = str(req.form.get("grant_type", ""))[:32]
            self.calls.record("oauth", method, f"token:{grant}", path, answer.status_code,
                              self.clock.now())
            return answer
        if path == "/v2/oauth2/tokens/revoke" and method == "POST":
            return self.oauth.revoke(req)
        if path == "/v1/openid_connect/userinfo" and method == "GET":
            return self.oauth.userinfo(req)
        if path == "/" and method == "GET":
            return self.admin.index(base)
        return Response(json.dumps({"error": "not_found", "path": path}), status=404,
                        mimetype="application/json")

    def _accounting(self, req: Request, realm: str, rest: list[str]) -> Reply:
        now = self.clock.now()
        endpoint = (rest[0].lower() if rest and rest[0] else "") or "-"
        reply = self._accounting_inner(req, realm, rest, now)
        self.calls.record(realm, req.method, endpoint, req.path, reply.status, now,
                          req.args.get("minorversion"))
        return reply

    def _accounting_inner(self, req: Request, realm: str, rest: list[str], now: float) -> Reply:
        grant, reason = self.oauth.bearer(req)
        if grant is None:
            return faults.authentication_failed(reason, now)
        if ACCOUNTING not in grant.scopes:
            return faults.authorization_failed(
                "Authorization Failure: the token was not granted the "
                "com.intuit.quickbooks.accounting scope", now)
        company = self.store.companies.get(realm)
        if grant.realm_id != realm or company is None:
            return faults.authorization_failed(
                "Authorization Failure: the token is not authorized for this company", now)
        is_batch = bool(rest) and rest[0].lower() == "batch"
        throttled = self.limiter.check(realm, grant.client_id, is_batch)
        if throttled is not None:
            return faults.throttled(now, f"Request throttled: {throttled} was reached.")
        requestid = req.args.get("requestid")
        if requestid and req.method == "POST":
            if len(requestid) > REQUESTID_MAX:
                return faults.bad_request(
                    f"requestid is longer than {REQUESTID_MAX} characters").reply(now)
            with self.store.lock:
                cached = company.requestids.get(requestid)
                if cached is not None:
                    return Reply(cached.status, cached.body, cached.content_type,
                                 dict(cached.headers))
                reply = self.api.handle(req, company, rest)
                if reply.status < 500:
                    company.requestids[requestid] = reply
                    while len(company.requestids) > 5000:
                        company.requestids.popitem(last=False)
                return reply
        return self.api.handle(req, company, rest)


def _entity(name: str) -> str:
    entity = canonical(name)
    if entity is None:
        raise ValueError(f"unknown entity {name!r}")
    return entity


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _reset_connection(req: Request) -> None:
    """Abort the TCP connection: SO_LINGER 0 makes the close send RST, no response at all."""
    sock = req.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raise ConnectionResetError("injected connection reset")
