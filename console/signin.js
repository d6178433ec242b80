// The local sign-in: the local stack mints a token for the chosen user (never in AWS).
const form = document.getElementById("signin");
const error = document.getElementById("signin-error");
const config = await (await fetch("config.json")).json();
const role = document.getElementById("role");
for (const name of config.roles) {
  const option = document.createElement("option");
  option.value = name;
  option.textContent = name;
  role.append(option);
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const data = new FormData(form);
  const unit = String(data.get("unit") || "root").trim();
  const answer = await fetch("local/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      user: data.get("user"), name: data.get("name"), org: data.get("org"),
      role: data.get("role"), home_org_unit: unit, root: unit === "root",
    }),
  });
  const body = await answer.json();
  if (!answer.ok) {
    error.textContent = body.error.message;
    error.hidden = false;
    return;
  }
  sessionStorage.setItem("token", body.token);
  location.assign("index.html#/erp");
});
