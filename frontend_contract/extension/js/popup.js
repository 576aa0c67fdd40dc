// The toolbar popup: reads the job page the user is on (its URL and HTML, so pages behind a sign-in work
// too) and, on "Save", creates an application from it through POST /api/v1/applications/import-url.
import { ApiError, call, loadConnection } from "./connection.js";
const MAX_HTML = 2_000_000; // characters; the api refuses bigger pages and reads only the posting anyway
function show(id) {
    const element = document.getElementById(id);
    element.hidden = false;
    return element;
}
/** The active tab's page, read with the permission the click on the toolbar button gives (activeTab). */
async function readPage() {
    const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
    if (tab?.id === undefined || !tab.url || !/^https?:/.test(tab.url)) {
        throw new Error("Open a job posting (an http or https page) first.");
    }
    const [result] = await chrome.scripting.executeScript({
        target: { tabId: tab.id },
        func: () => ({ url: location.href, title: document.title, html: document.documentElement.outerHTML }),
    });
    const page = result?.result;
    if (!page)
        throw new Error("This page cannot be read by extensions.");
    return { ...page, html: page.html.slice(0, MAX_HTML) };
}
function showSaved(apiUrl, application) {
    const saved = show("saved");
    saved.querySelector("[data-field=role]").textContent = application.role;
    saved.querySelector("[data-field=company]").textContent = application.company;
    const details = [application.location, application.source].filter(Boolean).join(" · ");
    saved.querySelector("[data-field=details]").textContent = details;
    const link = saved.querySelector("a");
    link.href = `${apiUrl}/#application=${encodeURIComponent(application.id)}`;
}
async function main() {
    const connection = await loadConnection();
    if (!connection) {
        show("setup");
        document.getElementById("open-options")?.addEventListener("click", () => chrome.runtime.openOptionsPage());
        return;
    }
    const error = document.getElementById("error");
    let page;
    try {
        page = await readPage();
    }
    catch (problem) {
        error.textContent = problem instanceof Error ? problem.message : String(problem);
        error.hidden = false;
        return;
    }
    const form = show("save-form");
    form.querySelector("[data-field=title]").textContent = page.title || page.url;
    form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const button = form.querySelector("button");
        const status = form.elements.namedItem("status").value;
        button.disabled = true;
        button.textContent = "Saving…";
        error.hidden = true;
        try {
            const body = { url: page.url, html: page.html, status };
            const imported = await call(connection, "POST", "/api/v1/applications/import-url", body);
            form.hidden = true;
            showSaved(connection.apiUrl, imported.application);
        }
        catch (problem) {
            error.textContent = problem instanceof ApiError || problem instanceof Error ? problem.message : String(problem);
            error.hidden = false;
            button.disabled = false;
            button.textContent = "Save job";
        }
    });
}
void main();
