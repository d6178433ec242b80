"""HTML of Intuit's sign-in and company-picker pages (usable in a real browser)."""

from __future__ import annotations

from html import escape

SCOPE_TEXT = {
    "com.intuit.quickbooks.accounting": "Your QuickBooks company's accounting data",
    "com.intuit.quickbooks.payment": "Your QuickBooks Payments data",
    "openid": "Your Intuit user ID",
    "email": "Your email address",
    "profile": "Your name",
    "phone": "Your phone number",
    "address": "Your address",
}

_STYLE = """
body{font-family:Avenir,Helvetica,Arial,sans-serif;background:#f4f5f8;margin:0}
.card{max-width:420px;margin:48px auto;background:#fff;border-radius:8px;padding:32px;
box-shadow:0 2px 8px rgba(0,0,0,.12)}
h1{font-size:22px;margin:0 0 4px}.brand{color:#2ca01c;font-weight:700;margin-bottom:16px}
label{display:block;margin:12px 0 4px;font-size:14px}
input[type=text],input[type=password]{width:100%;padding:8px;box-sizing:border-box;
border:1px solid #8d9096;border-radius:4px}
.company{display:block;padding:10px;border:1px solid #d4d7dc;border-radius:4px;margin:8px 0}
.buttons{margin-top:20px;display:flex;gap:12px;justify-content:flex-end}
button{padding:8px 20px;border-radius:4px;border:1px solid #2ca01c;font-size:15px;cursor:pointer}
button.primary{background:#2ca01c;color:#fff}button.secondary{background:#fff;color:#2ca01c}
.error{color:#d52b1e;margin:12px 0}.note{color:#6b6c72;font-size:13px}
.disabled{color:#8d9096}
"""


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<div class=\"card\"><div class=\"brand\">intuit QuickBooks (local sandbox)</div>"
        f"{body}</div></body></html>"
    )


def error_page(message: str) -> str:
    return page("Error", f"<h1>Something's not right</h1><p class=\"error\">{escape(message)}</p>")


def signin_page(txn: str, app_name: str, error: str | None = None, username: str = "") -> str:
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return page("Sign in", f"""
<h1>Sign in</h1><p class="note">to connect <b>{escape(app_name)}</b> to QuickBooks</p>{err}
<form method="post" action="/connect/oauth2/signin" id="signin">
<input type="hidden" name="txn" value="{escape(txn)}">
<label for="username">Email or user ID</label>
<input type="text" id="username" name="username" value="{escape(username)}" autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password">
<div class="buttons">
<button type="submit" class="secondary" name="action" value="cancel">Cancel</button>
<button type="submit" class="primary" name="action" value="signin">Sign in</button>
</div></form>""")


def choose_page(
    txn: str, app_name: str, display_name: str, companies: list[tuple[str, str]],
    member_only: list[str], scopes: list[str], error: str | None = None,
) -> str:
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    items = "".join(
        f'<label class="company"><input type="radio" name="realmId" value="{escape(realm)}"'
        f'{" checked" if len(companies) == 1 else ""}> {escape(name)}</label>'
        for realm, name in companies
    )
    others = "".join(
        f'<div class="company disabled">{escape(n)} &mdash; only a company admin can '
        "connect apps</div>" for n in member_only
    )
    access = "".join(f"<li>{escape(SCOPE_TEXT.get(s, s))}</li>" for s in scopes)
    if not companies:
        body = (
            f"<h1>No company to connect</h1>{err}<p>{escape(display_name)}, you are not an "
            "admin of any QuickBooks company. Only a company admin can connect "
            f"<b>{escape(app_name)}</b>.</p>{others}"
            '<form method="post" action="/connect/oauth2/consent">'
            f'<input type="hidden" name="txn" value="{escape(txn)}">'
            '<div class="buttons"><button type="submit" class="secondary" name="action" '
            'value="cancel">Cancel</button></div></form>'
        )
        return page("Choose a company", body)
    return page("Choose a company", f"""
<h1>Select a company</h1>
<p class="note">Signed in as {escape(display_name)} &middot;
<a href="/connect/oauth2/signout?txn={escape(txn)}">Not you?</a></p>{err}
<p><b>{escape(app_name)}</b> will be able to access:</p><ul>{access}</ul>
<form method="post" action="/connect/oauth2/consent" id="consent">
<input type="hidden" name="txn" value="{escape(txn)}">{items}{others}
<div class="buttons">
<button type="submit" class="secondary" name="action" value="cancel">Cancel</button>
<button type="submit" class="primary" name="action" value="next">Next</button>
</div></form>""")
