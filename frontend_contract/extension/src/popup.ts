// The toolbar popup: reads the job page the user is on (its URL and HTML, so pages behind a sign-in work
// too) and, on "Save", creates an application from it through POST /api/v1/applications/import-url.

import { ApiError, call, loadConnection, type Application, type Imported } from "./connection.js";

interface Page {
  url: string;
  title: string;
  html: string;
}

const MAX_HTML = 2_000_000; // characters; the api refuses bigger pages and reads only the posting anyway

function show(id: string): HTMLElement {
  const element = document.getElementById(id) as HTMLElement;
  element.hidden = false;
  return element;
}

/** The active tab's page, read with the permission the click on the toolbar button gives (activeTab). */
async function readPage(): Promise<Page> {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  if (tab?.id === undefined || !tab.url || !/^https?:/.test(tab.url)) {
    throw new Error("Open a job posting (an http or https page) first.");
  }
  const [result] = await chrome.scripting.executeScript({
    target: { tabId: tab.id },
    func: () => ({ url: location.href, title: document.title, html: document.documentElement.outerHTML }),
  });
  const page = result?.result as Page | undefined;
  if (!page) throw new Error("This page cannot be read by extensions.");
  return { ...page, html: page.html.slice(0, MAX_HTML) };
}

function showSaved(apiUrl: string, application: Application): void {
  const saved = show("saved");
  (saved.querySelector("[data-field=role]") as HTMLElement).textContent = application.role;
  (saved.querySelector("[data-field=company]") as HTMLElement).textContent = application.company;
  const details = [application.location, application.source].filter(Boolean).join(" · ");
  (saved.querySelector("[data-field=details]") as HTMLElement).textContent = details;
  const link = saved.querySelector("a") as HTMLAnchorElement;
  link.href = `${apiUrl}/#application=${encodeURIComponent(application.id)}`;
}

async function main(): Promise<void> {
  const connection = await loadConnection();
  if (!connection) {
    show("setup");
    document.getElementById("open-options")?.addEventListener("click", () => chrome.runtime.openOptionsPage());
    return;
  }
  const error = document.getElementById("error") as HTMLElement;
  let page: Page;
  try {
    page = await readPage();
  } catch (problem) {
    error.textContent = problem instanceof Error ? problem.message : String(problem);
    error.hidden = false;
    return;
  }
  const form = show("save-form") as HTMLFormElement;
  (form.querySelector("[data-field=title]") as HTMLElement).textContent = page.title || page.url;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button") as HTMLButtonElement;
    const status = (form.elements.namedItem("status") as HTMLSelectElement).value;
    button.disabled = true;
    button.textContent = "Saving…";
    error.hidden = true;
    try {
      const body = { url: page.url, html: page.html, status };
      const imported = await call<Imported>(connection, "POST", "/api/v1/applications/import-url", body);
      form.hidden = true;
      showSaved(connection.apiUrl, imported.application);
    } catch (problem) {
      error.textContent = problem instanceof ApiError || problem instanceof Error ? problem.message : String(problem);
      error.hidden = false;
      button.disabled = false;
      button.textContent = "Save job";
    }
  });
}

void main();
