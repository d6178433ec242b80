"""The control API under /_sandbox/ (JSON), for tests and demos in another process."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .faults import QboFault

if TYPE_CHECKING:
    from .app import Sandbox


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _body(req: Request) -> dict[str, Any]:
    text = req.get_data(as_text=True)
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise AdminError(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


class AdminApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox

    def handle(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p][1:]  # drop "_sandbox"
        try:
            with self.sb.store.lock:
                return self._route(req, req.method, parts)
        except QboFault as fault:
            reply = fault.reply(self.sb.clock.now())
            return Response(reply.body, status=reply.status, content_type=reply.content_type)
        except AdminError as err:
            return _json({"error": str(err)}, err.status)
        except KeyError as err:
            return _json({"error": f"not found: {err.args[0]}"}, 404)
        except (ValueError, TypeError) as err:
            return _json({"error": str(err)}, 400)

    def _route(self, req: Request, method: str, parts: list[str]) -> Response:
        sb = self.sb
        head = parts[0] if parts else ""
        if not parts and method == "GET":
            return _json(self.summary())
        if head == "apps" and method == "POST" and len(parts) == 1:
            b = _body(req)
            app = sb.register_app(b.get("redirect_uris") or [], b.get("client_id"),
                                  b.get("client_secret"), b.get("name", "Sandbox app"))
            return _json(app.public(), 201)
        if head == "users" and method == "POST" and len(parts) == 1:
            b = _body(req)
            user = sb.create_user(b["username"], b["password"], b.get("email"),
                                  b.get("given_name", ""), b.get("family_name", ""))
            return _json(user.public(), 201)
        if head == "companies":
            return self._companies(req, method, parts[1:])
        if head == "faults" and len(parts) == 1:
            if method == "POST":
                b = _body(req)
                rule = sb.inject_fault(str(b["kind"]), int(b.get("count", 1)), b.get("realm"),
                                       b.get("path", "*"), b.get("method"),
                                       float(b.get("seconds", 0)))
                return _json(rule.__dict__, 201)
            if method == "DELETE":
                sb.clear_faults()
                return _json({"faults": []})
            return _json({"faults": sb.injector.list()})
        if head == "clock" and len(parts) == 1:
            if method in ("PUT", "POST"):
                b = _body(req)
                if "fixed" in b:
                    sb.freeze_clock(b["fixed"])
                if "offset_seconds" in b:
                    sb.clock.set_offset(float(b["offset_seconds"]))
                if "advance_seconds" in b:
                    sb.advance_clock(float(b["advance_seconds"]))
            return _json(sb.clock.state())
        if head == "limits" and len(parts) == 1:
            if method in ("PUT", "POST"):
                return _json(sb.set_limits(**_body(req)))
            return _json(sb.limiter.describe())
        if head == "calls" and len(parts) == 1:
            if method == "DELETE":
                sb.calls.reset()
            return _json(sb.calls.snapshot(req.args.get("realm")))
        if head == "grants" and len(parts) == 1:
            return _json({"grants": sb.oauth.grants_summary()})
        raise AdminError(404, f"no admin route {method} /_sandbox/{'/'.join(parts)}")

    def _companies(self, req: Request, method: str, parts: list[str]) -> Response:
        sb = self.sb
        if not parts:
            if method == "POST":
                b = _body(req)
                company = sb.create_company(
                    b.get("realm_id"), b.get("name"), b.get("admins", []), b.get("users", []),
                    b.get("seed", "craigs"), b.get("sizes"), b.get("country", "US"),
                    bool(b.get("multicurrency", False)),
                    bool(b.get("warn_duplicate_bill_number", False)),
                    str(b.get("plan") or "QuickBooks Online Plus"))
                return _json(company.summary(), 201)
            return _json({"companies": [c.summary() for c in sb.store.companies.values()]})
        realm = parts[0]
        company = sb.company(realm)
        rest = parts[1:]
        if not rest:
            if method == "DELETE":
                del sb.store.companies[realm]
                return _json({"deleted": realm})
            return _json(company.summary())
        if rest == ["preferences"]:
            if method in ("PUT", "POST", "PATCH"):
                b = _body(req)
                if "WarnDuplicateBillNumber" in b:
                    sb.set_warn_duplicate_bill_number(realm, bool(b.pop("WarnDuplicateBillNumber")))
                if b:
                    sb.store.update_preferences(company, b, admin=True)
            return _json({"Preferences": company.prefs})
        if rest[0] == "objects" and len(rest) == 2:
            if method == "POST":
                b = _body(req)
                return _json(sb.create_object(realm, rest[1], b), 201)
            return _json({rest[1]: sb.list_objects(realm, rest[1])})
        if rest[0] == "objects" and len(rest) == 3:
            if method in ("POST", "PATCH", "PUT"):
                return _json(sb.update_object(realm, rest[1], rest[2], _body(req)))
            if method == "DELETE":
                return _json(sb.delete_object(realm, rest[1], rest[2]))
            return _json(sb.get_object(realm, rest[1], rest[2]))
        if rest[0] == "objects" and len(rest) == 4 and rest[3] == "reconcile":
            # POST marks a bill payment reconciled in the bank, DELETE un-reconciles it.
            if rest[1].lower() != "billpayment":
                raise AdminError(404, f"only a BillPayment can be reconciled, not {rest[1]}")
            if method not in ("POST", "PUT", "DELETE"):
                raise AdminError(405, f"{method} is not supported for reconcile")
            on = method != "DELETE"
            payment = sb.reconcile_payment(realm, rest[2], on)
            return _json({"BillPayment": payment, "reconciled": on})
        if rest[0] == "bills" and len(rest) == 3 and rest[2] == "pay" and method == "POST":
            b = _body(req)
            amount = b.get("amount")
            return _json(sb.pay_bill(realm, rest[1], None if amount is None else float(amount),
                                     b.get("pay_type", "Check")), 201)
        if rest[0] == "attachments" and len(rest) == 3 and rest[2] == "content":
            data = company.attachments.get(rest[1])
            if data is None:
                raise AdminError(404, f"no attachment content for {rest[1]}")
            obj = company.objects["Attachable"].get(rest[1], {})
            return Response(data, mimetype=obj.get("ContentType", "application/octet-stream"))
        raise AdminError(404, f"no admin route {method} /_sandbox/companies/{'/'.join(parts)}")

    def summary(self) -> dict[str, Any]:
        sb = self.sb
        return {
            "apps": [{"client_id": a.client_id, "name": a.name, "redirect_uris": a.redirect_uris}
                     for a in sb.store.apps.values()],
            "users": [u.public() for u in sb.store.users.values()],
            "companies": [c.summary() for c in sb.store.companies.values()],
            "clock": sb.clock.state(),
            "limits": sb.limiter.describe(),
            "faults": sb.injector.list(),
        }

    def index(self, base: str) -> Response:
        with self.sb.store.lock:
            rows = "".join(
                f"<tr><td>{escape(c.realm_id)}</td><td>{escape(c.name)}</td>"
                f"<td>{escape(', '.join(sorted(c.admins)))}</td></tr>"
                for c in self.sb.store.companies.values())
        html = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>QBO sandbox</title></head>"
            "<body style='font-family:sans-serif'><h1>Local QuickBooks Online sandbox</h1>"
            f"<p>Discovery document: <a href='/.well-known/openid-configuration'>"
            f"{escape(base)}/.well-known/openid-configuration</a></p>"
            f"<p>Accounting API: {escape(base)}/v3/company/&lt;realmId&gt;/...</p>"
            "<p>Control API: <a href='/_sandbox'>/_sandbox</a></p>"
            "<table border='1' cellpadding='4'><tr><th>Realm</th><th>Company</th>"
            f"<th>Admins</th></tr>{rows}</table></body></html>")
        return Response(html, mimetype="text/html")
