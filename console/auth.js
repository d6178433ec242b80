// Sign-in and the API client. config.json says how to sign in:
//   "local": the local stack's sign-in page mints a token (signin.html, never in AWS);
//   "oidc":  the AP platform's identity provider, authorization code + PKCE (RFC 7636):
//            {"oidc": {"authorize_url", "token_url", "client_id", "scope"}}.
// The token lives in sessionStorage (this tab only) and goes to the API as a bearer.
export const config = await (await fetch("config.json", { cache: "no-store" })).json();

const KEY = "token";

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function oidcSignIn() {
  const oidc = config.oidc;
  const redirect = `${location.origin}${location.pathname}`;
  const query = new URLSearchParams(location.search);
  if (query.get("code")) {
    // Back from the identity provider: the state must be ours, then trade the code.
    const expected = sessionStorage.getItem("oidc_state");
    const verifier = sessionStorage.getItem("oidc_verifier");
    sessionStorage.removeItem("oidc_state");
    sessionStorage.removeItem("oidc_verifier");
    if (!expected || query.get("state") !== expected || !verifier) {
      throw new Error("The sign-in answer was not for this window; sign in again.");
    }
    const answer = await fetch(oidc.token_url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: query.get("code"),
        redirect_uri: redirect, client_id: oidc.client_id, code_verifier: verifier }),
    });
    const body = await answer.json();
    if (!answer.ok || !(body.access_token || body.id_token)) {
      throw new Error(`Sign-in failed: ${body.error_description || body.error || answer.status}`);
    }
    sessionStorage.setItem(KEY, body.access_token || body.id_token);
    history.replaceState(null, "", `${location.pathname}${location.hash || "#/erp"}`);
    return;
  }
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("oidc_verifier", verifier);
  sessionStorage.setItem("oidc_state", state);
  const params = new URLSearchParams({ response_type: "code", client_id: oidc.client_id,
    redirect_uri: redirect, scope: oidc.scope || "openid", state, code_challenge: challenge,
    code_challenge_method: "S256" });
  location.assign(`${oidc.authorize_url}?${params}`);
  await new Promise(() => {}); // leaving the page
}

if (!sessionStorage.getItem(KEY)) {
  if (config.signin === "oidc") await oidcSignIn();
  else location.assign("signin.html");
}

export function token() {
  return sessionStorage.getItem(KEY) || "";
}

export function claims() {
  try {
    const part = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

// What the product lets a person do (README: Permissions): connecting, disconnecting,
// scheduling and syncing take a System Administrator of the root org unit. The API
// decides; the console only does not offer what would be refused.
export function mayAdminister() {
  const c = claims();
  return c.role === "SystemAdministrator" && String(c.home_org_unit_is_root) === "true";
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.assign(config.signin === "oidc" ? location.pathname : "signin.html");
}

export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  let answer;
  try {
    answer = await fetch(`${config.api}${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { status: 0, body: { error: { message: "The API did not answer; check the network and try again." } } };
  }
  if (answer.status === 401) {
    signOut();
    return { status: 401, body: { error: { message: "Your sign-in ended; sign in again." } } };
  }
  const text = await answer.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { error: { message: text } }; }
  return { status: answer.status, body: parsed };
}
