// The options page: the api's address and a personal access token, checked against GET /api/v1/me
// before they are kept.

import { call, loadConnection, normaliseApiUrl, saveConnection } from "./connection.js";

const form = document.getElementById("connection") as HTMLFormElement;
const result = document.getElementById("result") as HTMLElement;
const field = (name: string): HTMLInputElement => form.elements.namedItem(name) as HTMLInputElement;

async function main(): Promise<void> {
  const current = await loadConnection();
  if (current) {
    field("api-url").value = current.apiUrl;
    result.textContent = `Connected to ${current.apiUrl}.`;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const apiUrl = normaliseApiUrl(field("api-url").value);
    const token = field("token").value.trim();
    result.classList.remove("error");
    if (typeof apiUrl !== "string" || !token) {
      result.textContent = typeof apiUrl !== "string" ? apiUrl.error : "Paste a personal access token.";
      result.classList.add("error");
      return;
    }
    result.textContent = "Checking…";
    try {
      const me = await call<{ email: string }>({ apiUrl, token }, "GET", "/api/v1/me");
      await saveConnection({ apiUrl, token });
      field("token").value = "";
      result.textContent = `Connected to ${apiUrl} as ${me.email}.`;
    } catch (problem) {
      result.textContent = problem instanceof Error ? problem.message : String(problem);
      result.classList.add("error");
    }
  });
}

void main();
