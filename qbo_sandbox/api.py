"""Accounting API v3 handlers under /v3/company/{realmId}/."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from . import faults
from .clock import envelope_time, parse_time
from .company import ENTITIES, Company, canonical
from .faults import QboFault, Reply, json_reply

if TYPE_CHECKING:
    from .app import Sandbox

# The one minor version the sandbox serves. Intuit, from 1 August 2025: "if you specify a
# value for the minorversion parameter that is less than 75, it will be ignored and the
# system will respond with data corresponding to minor version 75. If you don't specify a
# minor version in your request, the response will default to minor version 75". Every
# field of the entities served here exists at 75, so no field depends on the parameter and
# the sandbox answers every request (any minorversion, or none) as 75. Intuit publishes no
# version above 75 (new fields no longer bump it); how it answers one is UNCONFIRMED, and the
# sandbox answers it as 75 too. The call log records the value each request sent.
SERVED_MINOR_VERSION = 75
MAX_BATCH = 30
MAX_UPLOAD = 100 * 1024 * 1024


def _body_json(req: Request) -> dict[str, Any]:
    try:
        data = json.loads(req.get_data(as_text=True) or "null")
    except ValueError:
        raise faults.bad_request("Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise faults.bad_request("Request body must be a JSON object")
    return data


def _includes(req: Request, word: str) -> bool:
    return word in req.args.get("include", "").lower().split(",")


def _allow_dup(req: Request) -> bool:
    return _includes(req, "allowduplicatedocnum")


class AccountingApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.store = sandbox.store

    def env(self, payload: dict[str, Any]) -> Reply:
        payload["time"] = envelope_time(self.sb.clock.now())
        return json_reply(200, payload)

    def handle(self, req: Request, company: Company, rest: list[str]) -> Reply:
        try:
            return self._route(req, company, rest)
        except QboFault as fault:
            return fault.reply(self.sb.clock.now())

    def _route(self, req: Request, company: Company, rest: list[str]) -> Reply:
        if not rest or not rest[0]:
            raise faults.unsupported("GET /")
        head = rest[0].lower()
        method = req.method
        with self.store.lock:
            if head == "query" and len(rest) == 1:
                if method == "GET":
                    text = req.args.get("query", "")
                elif method == "POST":
                    text = req.get_data(as_text=True)
                else:
                    raise faults.unsupported(f"{method} query")
                return self.env({"QueryResponse": self.store.query(company, text)})
            if head == "cdc" and len(rest) == 1 and method == "GET":
                return self._cdc(req, company)
            if head == "batch" and len(rest) == 1 and method == "POST":
                return self._batch(req, company)
            if head == "upload" and len(rest) == 1 and method == "POST":
                return self._upload(req, company)
            if head == "companyinfo" and method == "GET":
                if len(rest) != 2 or rest[1] != company.realm_id:
                    raise faults.not_found("CompanyInfo", rest[1] if len(rest) > 1 else "")
                return self.env({"CompanyInfo": company.info})
            if head == "preferences" and len(rest) == 1:
                if method == "POST":
                    return self.env({"Preferences": self.store.update_preferences(
                        company, _body_json(req))})
                return self.env({"Preferences": company.prefs})
            entity = canonical(head)
            if entity is None or entity not in ENTITIES:
                raise faults.unknown_resource(req.path, req.base_url)
            if method == "GET" and len(rest) == 2:
                return self.env({entity: self.store.read(company, entity, rest[1])})
            if method == "POST" and len(rest) == 1:
                return self.env({entity: self._write(req, company, entity, _body_json(req))})
            raise faults.unsupported(f"{method} {'/'.join(rest)}")

    def _write(self, req: Request, company: Company, entity: str, body: dict[str, Any],
               operation: str | None = None) -> dict[str, Any]:
        op = (operation or req.args.get("operation") or "").lower()
        if op == "delete":
            return self.store.delete(company, entity, body)
        if _includes(req, "void"):
            # Intuit voids payments with operation=update&include=void and a sparse body.
            if op != "update":
                raise faults.unsupported(f"{op or 'create'} with include=void for {entity}")
            return self.store.void(company, entity, body)
        if op not in ("", "create", "update"):
            raise faults.unsupported(f"{op} for {entity}")
        # QBO treats a POST carrying an Id as an update, whatever the operation says.
        if body.get("Id") not in (None, "") or op == "update":
            return self.store.update(company, entity, body, allow_dup=_allow_dup(req))
        return self.store.create(company, entity, body, allow_dup=_allow_dup(req))

    # --- batch ---------------------------------------------------------------------------

    def _batch(self, req: Request, company: Company) -> Reply:
        body = _body_json(req)
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise faults.required("BatchItemRequest")
        if len(items) > MAX_BATCH:
            raise QboFault("4002", "Batch size limit exceeded",
                           f"The maximum number of BatchItemRequest items is {MAX_BATCH}; "
                           f"{len(items)} were supplied.", "BatchItemRequest")
        out: list[dict[str, Any]] = []
        for item in items:
            bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
            try:
                if not isinstance(item, dict) or not bid:
                    raise faults.required("bId")
                out.append({"bId": bid, **self._batch_item(req, company, item)})
            except QboFault as fault:
                out.append({"bId": bid, "Fault": fault.fault_body()})
        return self.env({"BatchItemResponse": out})

    def _batch_item(self, req: Request, company: Company, item: dict[str, Any]) -> dict:
        if "Query" in item:
            return {"QueryResponse": self.store.query(company, str(item["Query"]))}
        keys = [k for k in item if k not in ("bId", "operation", "optionsData")]
        if len(keys) != 1:
            raise faults.bad_request("Each BatchItemRequest needs exactly one entity or Query")
        entity = canonical(keys[0])
        if entity is None or entity not in ENTITIES or not isinstance(item[keys[0]], dict):
            raise faults.unsupported(f"batch {keys[0]}")
        op = str(item.get("operation") or "create").lower()
        return {entity: self._write(req, company, entity, item[keys[0]], op)}

    # --- CDC -------------------------------------------------------------------------------

    def _cdc(self, req: Request, company: Company) -> Reply:
        names = [n for n in req.args.get("entities", "").split(",") if n.strip()]
        if not names:
            raise faults.required("entities")
        since_text = req.args.get("changedSince", "")
        if not since_text:
            raise faults.required("changedSince")
        try:
            since = parse_time(since_text)
        except ValueError:
            raise faults.invalid_value("changedSince",
                                       f"Invalid changedSince value {since_text}") from None
        return self.env({"CDCResponse": [{"QueryResponse": self.store.cdc(company, names,
                                                                           since)}]})

    # --- upload ----------------------------------------------------------------------------

    def _upload(self, req: Request, company: Company) -> Reply:
        if (req.content_length or 0) > MAX_UPLOAD:
            raise QboFault("6000", "A business validation error has occurred",
                           "Business Validation Error: the request exceeds 100 MB")
        boundary = req.mimetype_params.get("boundary")
        if req.mimetype != "multipart/form-data" or not boundary:
            raise faults.bad_request("upload needs a multipart/form-data body")
        parts = parse_multipart(req.get_data(), boundary)
        results: list[dict[str, Any]] = []
        suffixes = sorted({name.rsplit("_", 1)[-1] for name in parts
                           if name.startswith(("file_metadata_", "file_content_"))})
        base = self.sb.public_base(req)
        for suffix in suffixes:
            meta_part = parts.get(f"file_metadata_{suffix}")
            content_part = parts.get(f"file_content_{suffix}")
            try:
                meta: dict[str, Any] = {}
                if meta_part is not None:
                    try:
                        meta = json.loads(meta_part[1].decode() or "{}")
                    except ValueError:
                        raise faults.bad_request("file_metadata is not valid JSON") from None
                if content_part is None:
                    raise faults.required(f"file_content_{suffix}")
                headers, data = content_part
                meta.setdefault("FileName", headers.get("filename") or f"upload_{suffix}")
                meta.setdefault("ContentType", headers.get("content-type",
                                                           "application/octet-stream"))
                meta["Size"] = len(data)
                obj = self.store.create(company, "Attachable", meta)
                company.attachments[obj["Id"]] = data
                path = f"/v3/company/{company.realm_id}/download/{obj['Id']}"
                obj["FileAccessUri"] = path
                obj["TempDownloadUri"] = (
                    f"{base}/_sandbox/companies/{company.realm_id}/attachments/{obj['Id']}/content")
                results.append({"Attachable": obj})
            except QboFault as fault:
                results.append({"Fault": fault.fault_body()})
        if not results:
            raise faults.required("file_content_01")
        return self.env({"AttachableResponse": results})


def parse_multipart(raw: bytes, boundary: str) -> dict[str, tuple[dict[str, str], bytes]]:
    """A tolerant multipart parser: python-quickbooks sends bare LF line endings and
    base64 content with Content-Transfer-Encoding, which strict parsers reject."""
    out: dict[str, tuple[dict[str, str], bytes]] = {}
    for chunk in raw.split(b"--" + boundary.encode()):
        if chunk.strip() in (b"", b"--"):
            continue
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        sep = b"\r\n\r\n" if b"\r\n\r\n" in chunk else b"\n\n"
        head, _, body = chunk.partition(sep)
        headers: dict[str, str] = {}
        name = ""
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip().lower()
            headers[key] = value.strip()
            if key == "content-disposition":
                for param in value.split(";"):
                    pk, _, pv = param.strip().partition("=")
                    if pk in ("name", "filename"):
                        headers[pk] = pv.strip('"')
                        if pk == "name":
                            name = pv.strip('"')
        if body.endswith(b"\r\n"):
            body = body[:-2]
        elif body.endswith(b"\n"):
            body = body[:-1]
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            try:
                body = base64.b64decode(b"".join(body.split()))
            except (binascii.Error, ValueError):
                raise faults.bad_request("file content is not valid base64") from None
        if name:
            out[name] = (headers, body)
    return out
