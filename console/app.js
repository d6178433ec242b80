// The qbo-connector console: the guide's screens over the public HTTP API (bearer token).
// Plain ES modules, no build step. Each page renders from the API's answers; every write
// answers in words (the API's error contract), next to the field it concerns.
import { api, claims, config, mayAdminister, signOut } from "./auth.js";

const main = document.getElementById("main");
const announcer = document.getElementById("announce");
const DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const DAY_NAMES = { MON: "Monday", TUE: "Tuesday", WED: "Wednesday", THU: "Thursday",
  FRI: "Friday", SAT: "Saturday", SUN: "Sunday" };
const RECORD_TYPES = ["vendors", "accounts", "classes", "departments", "items", "terms",
  "taxcodes", "customers", "purchaseorders"];
let entities = [];
let chosen = sessionStorage.getItem("legalEntity") || "";
let polling = null;

// -- small helpers ------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function say(text) {
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = text; }, 20);
}

function problem(body, status) {
  if (status === 403) {
    return `Not allowed: ${body?.error?.message || "your role may not do this."}`;
  }
  return body?.error?.message || `The request failed (HTTP ${status}).`;
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return `${date.toLocaleString()} (${iso.replace(".000", "")})`;
}

function table(caption, columns, rows, options = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c.title })));
  const body = rows.map((row) =>
    h("tr", {}, columns.map((c, i) => (i === 0
      ? h("th", { scope: "row" }, c.cell(row))
      : h("td", {}, c.cell(row))))));
  return h("table", { class: options.class || "" },
    h("caption", { text: caption }),
    h("thead", {}, head),
    h("tbody", {}, body.length ? body
      : h("tr", {}, h("td", { colspan: columns.length, text: options.empty || "Nothing yet." }))));
}

function pageName() {
  return location.hash.slice(2).split("/")[0] || "erp";
}

// `name`: the page rendering; a page the reader has already left (its answers came late)
// does not replace the one now shown.
function page(name, title, ...content) {
  if (name !== pageName()) return;
  if (polling) { clearInterval(polling); polling = null; }
  main.replaceChildren(h("h1", { text: title }), ...content);
  document.title = `${title} · qbo-connector console`;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === location.hash.slice(2).split("/")[0]) {
      link.setAttribute("aria-current", "page");
    } else link.removeAttribute("aria-current");
  }
  main.focus();
}

function entityPicker(onChange) {
  const select = h("select", { id: "entity", onchange: (e) => {
    chosen = e.target.value;
    sessionStorage.setItem("legalEntity", chosen);
    onChange(chosen);
  } }, entities.map((e) => h("option", { value: e.legal_entity_id,
    selected: e.legal_entity_id === chosen, text: e.name })));
  if (!chosen && entities.length) chosen = entities[0].legal_entity_id;
  return h("div", { class: "field inline" }, h("label", { for: "entity", text: "Legal Entity" }),
    select);
}

async function loadEntities() {
  const { status, body } = await api("GET", "/legal-entities");
  if (status !== 200) throw new Error(problem(body, status));
  entities = body.items;
  if (!entities.some((e) => e.legal_entity_id === chosen)) {
    chosen = entities[0]?.legal_entity_id || "";
  }
}

// -- ERP Management -------------------------------------------------------------------------

const OUTCOMES = {
  connected: "Connected to QuickBooks.",
  cancelled: "Connecting was cancelled in QuickBooks; nothing changed.",
  expired: "The connection attempt timed out; start again with Connect to QuickBooks.",
  other_browser: "The attempt was finished in another browser; start again here.",
  refused: "QuickBooks refused the connection.",
  failed: "Connecting failed.",
  invalid: "That link was already used or is incomplete; start again with Connect.",
};

async function erp() {
  await loadEntities();
  const detail = h("section", { id: "detail", "aria-label": "The legal entity's ERP properties" });
  const rows = entities.map((e) => ({ ...e, c: e.connection || {} }));
  const list = table("Legal entities of your organization", [
    { title: "Legal Entity", cell: (r) => h("button", { class: "link", type: "button",
      onclick: () => { chosen = r.legal_entity_id; sessionStorage.setItem("legalEntity", chosen);
        showEntity(detail); } }, r.name) },
    { title: "Connection", cell: (r) => h("span", { class: `state ${r.c.state}`,
      text: words(r.c.state) }) },
    { title: "QuickBooks company", cell: (r) => r.c.company_name || "" },
    { title: "Realm", cell: (r) => r.c.realm_id || "" },
    { title: "Connected by", cell: (r) => r.c.connected_by?.name || "" },
    { title: "Connected at", cell: (r) => when(r.c.connected_at) },
  ], rows, { empty: "No legal entity is registered for your organization yet." });
  page("erp", "ERP Management", list, detail);
  if (chosen) await showEntity(detail);
}

function words(state) {
  return { connected: "Connected", not_connected: "Not connected",
    reconnect_required: "Reconnect required", pending: "Waiting for QuickBooks" }[state]
    || state || "";
}

async function showEntity(detail) {
  const entity = entities.find((e) => e.legal_entity_id === chosen);
  if (!entity) return;
  const { status, body } = await api("GET", `/legal-entities/${chosen}/connection`);
  if (status !== 200) {
    detail.replaceChildren(h("p", { class: "error", role: "alert", text: problem(body, status) }));
    return;
  }
  const outcome = h("p", { id: "outcome", class: "outcome", role: "status" });
  const actions = h("div", { class: "actions" });
  const admin = mayAdminister();
  if (admin && body.state !== "connected") {
    actions.append(h("button", { class: "primary", type: "button", id: "connect",
      onclick: () => connect(outcome, detail) },
    body.state === "reconnect_required" ? "Reconnect to QuickBooks" : "Connect to QuickBooks"));
  }
  if (admin && body.state === "connected") {
    actions.append(h("button", { type: "button", id: "disconnect",
      onclick: () => disconnect(outcome, detail) }, "Disconnect"));
  }
  if (!admin) {
    actions.append(h("p", { class: "help", text: "Only a System Administrator of the root "
      + "org unit connects or disconnects QuickBooks." }));
  }
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Connection" }), h("dd", { text: words(body.state) }),
    body.company_name && [h("dt", { text: "Company" }), h("dd", { text: body.company_name })],
    body.realm_id && [h("dt", { text: "Realm (company id)" }), h("dd", { text: body.realm_id })],
    body.connected_by && [h("dt", { text: "Connected by" }), h("dd", {
      text: `${body.connected_by.name || body.connected_by.user_id} `
        + `(${body.connected_by.intuit_email || ""})` })],
    body.connected_at && [h("dt", { text: "Connected at" }), h("dd", { text: when(body.connected_at) })],
    body.reconnect_reason && [h("dt", { text: "Why reconnect" }),
      h("dd", { class: "warning", text: body.reconnect_reason })],
    body.pending_attempt && [h("dt", { text: "Pending attempt" }), h("dd", {
      text: `started by ${body.pending_attempt.started_by}, expires ${when(body.pending_attempt.expires_at)}` })]);
  const checks = (body.preflight || []).map((c) => h("li", { class: `check ${c.status}` },
    h("strong", { text: `${c.status === "warning" ? "Warning" : c.status === "ok" ? "OK" : "Info"}: ` }),
    c.message, c.setting_path && h("span", { class: "path" }, " In QuickBooks: ",
      h("kbd", { text: c.setting_path }))));
  detail.replaceChildren(h("h2", { id: "detail-title", text: `ERP Properties · ${entity.name}` }),
    facts, actions, outcome,
    ...(checks.length
      ? [h("h3", { text: "Preflight checks" }), h("ul", { class: "checks" }, checks)] : []));
}

async function connect(outcome, detail) {
  const { status, body } = await api("POST", `/legal-entities/${chosen}/connection`);
  if (status !== 200 && status !== 201) {
    outcome.textContent = problem(body, status);
    return;
  }
  const popup = window.open(body.popup_url, "qbo-connect", "popup,width=540,height=760");
  outcome.textContent = "Waiting for QuickBooks: sign in and choose the company in the new window.";
  let answered = false;
  const apiOrigin = new URL(config.api).origin;
  const onMessage = async (event) => {
    // Only the callback page of our own API speaks for the connection.
    if (event.origin !== apiOrigin || event.data?.source !== "qbo-connector") return;
    answered = true;
    window.removeEventListener("message", onMessage);
    const { outcome: kind, companyName } = event.data;
    const said = String(event.data.message || "").replace(/\s*You can close this window\.?/, "");
    const text = kind === "connected"
      ? `Connected to the QuickBooks company ${companyName}.`
      : said || OUTCOMES[kind] || kind;
    await erp(); // the list and the entity, as QuickBooks now has them
    document.getElementById("outcome").textContent = text;
    say(text);
  };
  window.addEventListener("message", onMessage);
  const watch = setInterval(async () => {
    if (!popup || popup.closed) {
      clearInterval(watch);
      if (!answered) {
        window.removeEventListener("message", onMessage);
        await showEntity(detail);
        const text = "The QuickBooks window was closed before it answered; nothing changed.";
        document.getElementById("outcome").textContent = text;
      }
    }
  }, 500);
}

async function disconnect(outcome, detail) {
  const dialog = h("dialog", { "aria-labelledby": "confirm-title" },
    h("h2", { id: "confirm-title", text: "Disconnect from QuickBooks?" }),
    h("p", { text: "The connection is revoked at Intuit, its tokens deleted and its "
      + "schedule paused. Imported records stay until support resets the entity." }),
    h("form", { method: "dialog" },
      h("button", { value: "cancel", type: "submit" }, "Keep connected"),
      h("button", { value: "disconnect", class: "danger", type: "submit", id: "confirm-disconnect" },
        "Disconnect")));
  document.body.append(dialog);
  dialog.addEventListener("close", async () => {
    dialog.remove();
    if (dialog.returnValue !== "disconnect") return;
    const { status, body } = await api("DELETE", `/legal-entities/${chosen}/connection`);
    await erp();
    const text = status === 200 ? "Disconnected from QuickBooks." : problem(body, status);
    document.getElementById("outcome").textContent = text;
    say(text);
  });
  dialog.showModal();
}

// -- SmartSync ----------------------------------------------------------------------------

async function smartsync() {
  await loadEntities();
  const progress = h("section", { id: "progress", "aria-label": "Sync progress" });
  const history = h("section", { id: "history" });
  const records = h("section", { id: "records" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const since = h("input", { type: "date", id: "since", name: "since", disabled: true });
  const mode = h("fieldset", {}, h("legend", { text: "What to import" }),
    ["incremental", "full", "partial"].map((value) => h("label", { class: "radio" },
      h("input", { type: "radio", name: "mode", value, checked: value === "incremental",
        onchange: () => { since.disabled = value !== "partial"; } }),
      { incremental: " Changes since the last sync", full: " Everything (full)",
        partial: " Changes since a date" }[value])),
    h("label", { for: "since", text: "Since " }), since);
  const start = h("button", { class: "primary", type: "submit", id: "sync" }, "Sync");
  const form = h("form", { id: "sync-form", onsubmit: async (event) => {
    event.preventDefault();
    error.hidden = true;
    const chosenMode = form.querySelector("input[name=mode]:checked").value;
    const request = { mode: chosenMode };
    if (chosenMode === "partial") request.since = since.value;
    const { status, body } = await api("POST", `/legal-entities/${chosen}/syncs`, request);
    if (status !== 202) {
      error.textContent = problem(body, status);
      error.hidden = false;
      return;
    }
    say("Sync started.");
    watch(body.sync_id, progress, history);
  } }, entityPicker(() => { showHistory(history, progress); showRecords(records); }), mode,
  mayAdminister() ? start : h("p", { class: "help",
    text: "Only a System Administrator of the root org unit starts syncs." }), error);
  page("smartsync", "SmartSync", form, progress, history, records);
  await showHistory(history, progress);
  await showRecords(records);
}

function runProgress(run) {
  const types = Object.entries(run.progress || {});
  const done = types.filter(([, p]) => ["done", "failed", "skipped"].includes(p.status)).length;
  const rows = types.map(([type, p]) => {
    // Running: how much is left is not known (QBO's count is not kept): indeterminate.
    const value = { pending: 0, running: null }[p.status] ?? 100;
    const label = `${type}: ${p.status}${p.method ? ` (${p.method})` : ""}`;
    const counts = p.method === "export"
      ? Object.entries(p.outcomes || {}).map(([k, v]) => `${k} ${v}`).join(", ")
      : `${p.fetched} read, ${p.new} new, ${p.changed} changed, ${p.deactivated} deactivated, `
        + `${p.deleted} deleted`;
    return h("li", { class: `type ${p.status}` },
      h("label", { for: `bar-${type}`, text: label }),
      h("progress", { id: `bar-${type}`, max: 100, value, "aria-valuetext": label }),
      h("span", { class: "counts", text: counts }),
      p.error && h("span", { class: "error", text: p.error }));
  });
  const calls = run.api_calls?.total ?? 0;
  return [h("h2", { id: "progress-title", text: `Sync ${run.sync_id}` }),
    h("p", { class: `run ${run.status}`, id: "run-status" },
      `${run.status} · ${done}/${types.length} types · ${calls} QuickBooks API calls`
      + (run.duration_seconds ? ` · ${run.duration_seconds} s` : "")),
    run.summary && h("p", { text: run.summary }),
    h("ul", { class: "types" }, rows),
    errorsOf(run)];
}

function errorsOf(run) {
  const errors = run.errors || [];
  if (!errors.length) return null;
  return h("ul", { class: "errors" }, errors.map((e) => h("li", {},
    e.message, e.intuit_tid && h("span", { class: "tid" }, ` (intuit_tid ${e.intuit_tid})`))));
}

function watch(syncId, progress, history) {
  if (polling) clearInterval(polling);
  const tick = async () => {
    const { status, body } = await api("GET", `/legal-entities/${chosen}/syncs/${syncId}`);
    if (status !== 200) return;
    progress.replaceChildren(...runProgress(body).filter(Boolean));
    if (!["queued", "running"].includes(body.status)) {
      clearInterval(polling);
      polling = null;
      say(`Sync ${body.status}.`);
      await showHistory(history, null);
    }
  };
  polling = setInterval(tick, 500);
  tick();
}

async function showHistory(history, progress) {
  if (!chosen) return;
  const { status, body } = await api("GET", `/legal-entities/${chosen}/syncs?limit=10`);
  if (status !== 200) {
    history.replaceChildren(h("p", { class: "error", text: problem(body, status) }));
    return;
  }
  history.replaceChildren(h("h2", { text: "History" }), table("The last syncs", [
    { title: "Requested", cell: (r) => when(r.requested_at) },
    { title: "Trigger", cell: (r) => r.trigger },
    { title: "Mode", cell: (r) => r.effective_mode || r.mode },
    { title: "Status", cell: (r) => h("span", { class: `run ${r.status}`, text: r.status }) },
    { title: "API calls", cell: (r) => r.api_calls?.total ?? "" },
    { title: "Errors", cell: (r) => errorsOf(r) || "" },
  ], body.items, { empty: "No sync yet." }));
  const running = body.items.find((r) => ["queued", "running"].includes(r.status));
  if (progress && running && !polling) watch(running.sync_id, progress, history);
}

async function showRecords(records) {
  if (!chosen) return;
  const type = h("select", { id: "record-type" }, RECORD_TYPES.map((t) => h("option", { value: t, text: t })));
  const search = h("input", { id: "record-search", type: "search", placeholder: "Name contains…" });
  const list = h("div", { id: "record-list" });
  const load = async () => {
    const { status, body } = await api("GET",
      `/legal-entities/${chosen}/records/${type.value}?limit=500`);
    if (status !== 200) {
      list.replaceChildren(h("p", { class: "error", text: problem(body, status) }));
      return;
    }
    const wanted = search.value.trim().toLowerCase();
    const items = body.items.filter((r) => !wanted || String(r.name || "").toLowerCase().includes(wanted));
    list.replaceChildren(table(`Imported ${type.value} (${items.length})`, [
      { title: "Name", cell: (r) => r.name || r.id },
      { title: "QuickBooks id", cell: (r) => r.id },
      { title: "Active", cell: (r) => (r.deleted ? "deleted" : r.active ? "yes" : "no") },
      { title: "Updated in QuickBooks", cell: (r) => when(r.qbo_updated_at) },
    ], items, { empty: "None imported." }));
  };
  type.addEventListener("change", load);
  search.addEventListener("input", load);
  records.replaceChildren(h("h2", { text: "Imported records" }),
    h("div", { class: "row" },
      h("div", { class: "field inline" }, h("label", { for: "record-type", text: "Type" }), type),
      h("div", { class: "field inline" }, h("label", { for: "record-search", text: "Search" }), search)),
    list);
  await load();
}

// -- Sync Schedule --------------------------------------------------------------------------

async function schedule() {
  await loadEntities();
  const section = h("section", { id: "schedule" });
  page("schedule", "Sync Schedule", entityPicker(() => showSchedule(section)), section);
  await showSchedule(section);
}

function fieldError(id) {
  return h("p", { class: "error field-error", id: `${id}-error`, hidden: true });
}

async function showSchedule(section) {
  const { status, body } = await api("GET", `/legal-entities/${chosen}/sync-schedule`);
  const current = status === 200 ? body : null;
  const sched = current?.schedule || { kind: "weekly", days: ["MON", "TUE", "WED", "THU", "FRI"],
    times: ["07:00"], timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" };
  const days = h("fieldset", { id: "days", "aria-describedby": "days-error" },
    h("legend", { text: "Days" }),
    DAYS.map((d) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "days",
      value: d, checked: (sched.days || []).includes(d) }), ` ${DAY_NAMES[d]}`)), fieldError("days"));
  const times = h("input", { id: "times", name: "times", value: (sched.times || []).join(", "),
    "aria-describedby": "times-help times-error" });
  const zone = h("input", { id: "timezone", name: "timezone", value: sched.timezone || "UTC",
    "aria-describedby": "timezone-help timezone-error" });
  const message = h("p", { id: "schedule-message", role: "status" });
  const admin = mayAdminister();
  const form = h("form", { id: "schedule-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll(".field-error")) el.hidden = true;
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const request = {
      kind: "weekly",
      days: [...form.querySelectorAll("input[name=days]:checked")].map((i) => i.value),
      times: times.value.split(",").map((t) => t.trim()).filter(Boolean),
      timezone: zone.value.trim(),
    };
    const answer = await api("PUT", `/legal-entities/${chosen}/sync-schedule`, request);
    if (answer.status !== 200) {
      showFieldErrors(form, answer.body, answer.status, message);
      return;
    }
    message.textContent = `Saved: ${answer.body.description}.`;
    say(message.textContent);
    section.querySelector("#next-runs")?.replaceWith(nextRuns(answer.body));
  } },
  days,
  h("div", { class: "field" }, h("label", { for: "times", text: "Times of day" }), times,
    h("p", { class: "help", id: "times-help", text: "24-hour HH:MM, separated by commas, e.g. 07:00, 13:00" }),
    fieldError("times")),
  h("div", { class: "field" }, h("label", { for: "timezone", text: "Time zone" }), zone,
    h("p", { class: "help", id: "timezone-help", text: "An IANA time zone, e.g. America/Vancouver" }),
    fieldError("timezone")),
  admin ? h("div", { class: "actions" },
    h("button", { type: "submit", class: "primary", id: "save-schedule" }, "Save schedule"),
    current && h("button", { type: "button", id: "remove-schedule", onclick: async () => {
      const answer = await api("DELETE", `/legal-entities/${chosen}/sync-schedule`);
      message.textContent = answer.status === 200 ? "Schedule removed." : problem(answer.body, answer.status);
      await showSchedule(section);
    } }, "Remove schedule"))
    : h("p", { class: "help", text: "Only a System Administrator of the root org unit changes the schedule." }),
  message);
  section.replaceChildren(
    h("p", { text: current ? `Current: ${current.description}${current.active ? "" : " (paused: " + current.paused_reason + ")"}.` : "No schedule yet: syncs run only when started." }),
    form, nextRuns(current));
}

function showFieldErrors(form, body, status, message) {
  const problems = body?.error?.details?.problems || (body?.error?.field ? [body.error] : []);
  let first = null;
  for (const p of problems) {
    const field = String(p.field || "").split(/[.[]/)[0];
    const slot = form.querySelector(`#${CSS.escape(field)}-error`);
    if (!slot) continue;
    slot.textContent = p.problem ? `${p.problem}: ${p.what_to_do || ""}` : p.message;
    slot.hidden = false;
    const input = form.querySelector(`#${CSS.escape(field)}`);
    input?.setAttribute("aria-invalid", "true");
    first = first || input;
  }
  message.textContent = problem(body, status);
  first?.focus();
}

function nextRuns(view) {
  const runs = view?.next_runs || [];
  return h("section", { id: "next-runs" }, h("h2", { text: "Next runs" }), table("The next scheduled syncs", [
    { title: "Local time", cell: (r) => r.local },
    { title: "UTC", cell: (r) => r.utc },
  ], runs, { empty: "None scheduled." }));
}

// -- Bills and payments ---------------------------------------------------------------------

async function bills() {
  await loadEntities();
  const section = h("section", { id: "bills" });
  const state = h("select", { id: "bill-state" }, ["", "queued", "waiting_for_vendor", "exporting",
    "exported", "duplicate", "failed"].map((s) => h("option", { value: s, text: s || "all" })));
  state.addEventListener("change", () => showBills(section, state.value));
  page("bills", "Bills and payments", h("div", { class: "row" }, entityPicker(() => showBills(section, state.value)),
    h("div", { class: "field inline" }, h("label", { for: "bill-state", text: "State" }), state)), section);
  await showBills(section, state.value);
}

function reason(bill) {
  if (bill.duplicate_of) {
    const dup = bill.duplicate_of;
    return h("span", {}, dup.message || "A duplicate.",
      dup.qbo_link && [" ", h("a", { href: dup.qbo_link, target: "_blank", rel: "noopener",
        text: `Open QuickBooks bill ${dup.qbo_bill_id}` })]);
  }
  if (bill.failure) return h("span", { class: "error", text: bill.failure.message });
  if (bill.waiting) return bill.waiting.reason;
  if (bill.last_error) return `Will retry: ${bill.last_error.message || ""}`;
  return "";
}

async function showBills(section, state) {
  const query = state ? `?state=${state}&limit=100` : "?limit=100";
  const [billsAnswer, paymentsAnswer] = await Promise.all([
    api("GET", `/legal-entities/${chosen}/bills${query}`),
    api("GET", `/legal-entities/${chosen}/payments?limit=100`)]);
  const out = [];
  if (billsAnswer.status !== 200) {
    out.push(h("p", { class: "error", role: "alert", text: problem(billsAnswer.body, billsAnswer.status) }));
  } else {
    out.push(table("Bills exported to QuickBooks", [
      { title: "AP invoice", cell: (b) => b.ap_invoice_id },
      { title: "Invoice number", cell: (b) => b.invoice_number },
      { title: "State", cell: (b) => h("span", { class: `bill ${b.state}`, text: b.state }) },
      { title: "QuickBooks bill", cell: (b) => (b.qbo_link ? h("a", { href: b.qbo_link, target: "_blank",
        rel: "noopener", text: `Bill ${b.qbo_bill_id}` }) : "") },
      { title: "Why", cell: reason },
      { title: "Payment", cell: (b) => (b.payment ? `${b.payment.state}${b.payment.balance !== undefined ? `, balance ${b.payment.balance}` : ""}` : "") },
    ], billsAnswer.body.items, { empty: "No bills submitted." }));
  }
  if (paymentsAnswer.status === 200) {
    out.push(table("Payments", [
      { title: "AP payment", cell: (p) => p.ap_payment_id },
      { title: "Amount", cell: (p) => p.amount },
      { title: "State", cell: (p) => p.state },
      { title: "QuickBooks bill payment", cell: (p) => p.qbo_bill_payment_id || "" },
      { title: "Why", cell: (p) => p.failure?.message || p.waiting?.reason || p.void?.reason || "" },
    ], paymentsAnswer.body.items, { empty: "No payments submitted." }));
  }
  section.replaceChildren(...out);
}

// -- the shell ------------------------------------------------------------------------------

const PAGES = { erp, smartsync, schedule, bills };

async function route() {
  const name = pageName();
  if (!PAGES[name]) {
    location.replace("#/erp");
    return;
  }
  try {
    await PAGES[name]();
  } catch (err) {
    page(pageName(), "Something went wrong", h("p", { class: "error", role: "alert", text: err.message }));
  }
}

const me = claims();
document.getElementById("who").replaceChildren(
  `${me.name || me.sub} · ${me.role} · ${me.org_id} `,
  h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"));
window.addEventListener("hashchange", route);
route();
