"""Drive the sandbox's consent page the way a person in a browser does.

Follows the authorization URL, signs in with the login form, picks the company
on the company picker and presses Next (or Cancel), using only the HTML forms
the pages serve: no back door. The demo, the connector's tests and anyone
scripting the local stack use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

TIMEOUT = 10


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input":
            kind, name = a.get("type", "text"), a.get("name", "")
            if kind == "radio":
                self.forms[-1].radios.setdefault(name, []).append(a.get("value", ""))
                if "checked" in a:
                    self.forms[-1].fields[name] = a.get("value", "")
            elif name:
                self.forms[-1].fields[name] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class ConsentError(Exception):
    """The consent pages did not go where a person would expect (message says what)."""


def _press(
    browser: requests.Session, page: requests.Response, form: Form, button: str, **values: str
) -> requests.Response:
    data = {**form.fields, **values}
    names = [n for n, v in form.buttons if v == button]
    if not names:
        raise ConsentError(f"the page has no '{button}' button")
    data[names[0]] = button
    return browser.post(
        urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=TIMEOUT
    )


def _is_redirect(resp: requests.Response) -> bool:
    return resp.status_code in (301, 302, 303)


def consent(
    authorization_url: str,
    username: str,
    password: str,
    realm_id: str | None = None,
    *,
    cancel: bool = False,
    browser: requests.Session | None = None,
) -> str:
    """Sign in, choose the company, press Next (or Cancel); returns the URL Intuit
    redirects the popup to (the app's redirect URI with code/state/realmId)."""
    browser = browser or requests.Session()
    page = browser.get(authorization_url, timeout=TIMEOUT)
    if page.status_code != 200:
        raise ConsentError(f"authorization page answered {page.status_code}: {page.text[:200]}")
    forms = forms_of(page.text)
    if not forms:
        raise ConsentError("authorization page has no form")
    form = forms[0]
    if "password" in form.fields:
        resp = _press(browser, page, form, "signin", username=username, password=password)
        while _is_redirect(resp):
            resp = browser.get(
                urljoin(resp.url, resp.headers["Location"]), allow_redirects=False, timeout=TIMEOUT
            )
        if resp.status_code != 200 or not forms_of(resp.text):
            raise ConsentError(f"sign-in failed ({resp.status_code})")
        page, form = resp, forms_of(resp.text)[0]
    if cancel:
        resp = _press(browser, page, form, "cancel")
    else:
        resp = _press(browser, page, form, "next", **({"realmId": realm_id} if realm_id else {}))
    if not _is_redirect(resp):
        raise ConsentError(f"consent did not redirect ({resp.status_code}): {resp.text[:200]}")
    return urljoin(resp.url, resp.headers["Location"])
