// The reference dashboard's entry point: sign-in state, tabs, the live connection indicator and the
// activity list. Served by the api at `/` (same origin: no CORS, and the socket's Origin is allowed).
import { ApiClient, Realtime } from "../../client/index.js";
import { Board, describe } from "./board.js";
import { byId, formValue, h } from "./dom.js";
import { ResumesPanel } from "./resumes.js";
import { lastEventId, tokenStore } from "./session.js";
const api = new ApiClient({ tokens: tokenStore, onSignedOut: () => showSignedOut("Your session ended: sign in again.") });
const live = new Realtime(api, {
    lastEventId: lastEventId.get(),
    onEvent: (event) => {
        lastEventId.set(event.id);
        logActivity(event);
    },
    onReset: () => void refreshAll(), // history could not cover the gap: reload what is shown
    onState: showConnection,
    onAccountClosed: () => {
        tokenStore.set(null);
        showSignedOut("Your account was disabled or deleted.");
    },
    maxDelayMs: 10_000, // a demo: come back quickly after a restart
});
const resumes = new ResumesPanel(api, live, flash);
const board = new Board(api, live, flash);
const CONNECTION_TEXT = {
    connecting: "Connecting…",
    open: "Live",
    reconnecting: "Reconnecting…",
    stopped: "Offline",
};
function showConnection(state, detail) {
    // Opened with nothing to replay from: what was published before the socket subscribed is only in
    // REST, so load it (again) now; with a `last_event_id` the replay covers the gap instead.
    if (state === "open" && live.lastEventId === undefined)
        void refreshAll();
    const element = byId("connection");
    element.dataset.state = state;
    element.title = detail;
    const text = element.querySelector(".label");
    if (text)
        text.textContent = CONNECTION_TEXT[state];
}
function flash(message) {
    const element = byId("flash");
    element.textContent = message;
    element.hidden = false;
    clearTimeout(Number(element.dataset.timer));
    element.dataset.timer = String(setTimeout(() => (element.hidden = true), 8000));
}
function logActivity(event) {
    const list = byId("activity");
    const summary = Object.entries(event.data)
        .filter(([key]) => !key.endsWith("_id"))
        .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
        .join(", ");
    list.prepend(h("li", { "data-type": event.type }, h("code", {}, event.type), summary ? ` ${summary}` : ""));
    while (list.children.length > 50)
        list.lastElementChild?.remove();
}
async function refreshAll() {
    await Promise.all([resumes.refresh(), board.refresh()]);
}
async function showSignedIn() {
    const me = await api.getMe();
    byId("who").textContent = me.full_name;
    byId("account").hidden = false;
    byId("auth").hidden = true;
    byId("workspace").hidden = false;
    live.start(); // state is loaded after the socket is asked for; replay covers the rest
    await refreshAll();
}
function showSignedOut(message) {
    live.stop();
    lastEventId.clear();
    live.lastEventId = undefined;
    byId("account").hidden = true;
    byId("workspace").hidden = true;
    byId("auth").hidden = false;
    if (message)
        flash(message);
}
function wireAuth() {
    byId("sign-in").addEventListener("submit", (event) => {
        event.preventDefault();
        const form = event.target;
        void signIn(formValue(form, "email"), formValue(form, "password"));
    });
    byId("sign-up").addEventListener("submit", (event) => {
        event.preventDefault();
        const form = event.target;
        const body = {
            email: formValue(form, "email"),
            password: formValue(form, "password"),
            full_name: formValue(form, "full_name"),
        };
        void api
            .register(body)
            .then(() => signIn(body.email, body.password))
            .catch((error) => flash(describe(error)));
    });
    byId("sign-out").addEventListener("click", () => {
        void api.logout().then(() => showSignedOut("Signed out."));
    });
}
async function signIn(email, password) {
    try {
        await api.login({ email, password });
        await showSignedIn();
    }
    catch (error) {
        flash(describe(error));
    }
}
/** WAI-ARIA tabs: click or arrow keys move between panels. */
function wireTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    const select = (tab) => {
        for (const other of tabs) {
            const selected = other === tab;
            other.setAttribute("aria-selected", String(selected));
            other.tabIndex = selected ? 0 : -1;
            byId(other.getAttribute("aria-controls") ?? "").hidden = !selected;
        }
    };
    tabs.forEach((tab, index) => {
        tab.addEventListener("click", () => select(tab));
        tab.addEventListener("keydown", (event) => {
            const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
            if (!step)
                return;
            const next = tabs[(index + step + tabs.length) % tabs.length];
            if (next) {
                select(next);
                next.focus();
            }
        });
    });
}
wireAuth();
wireTabs();
if (api.signedIn) {
    showSignedIn().catch((error) => showSignedOut(describe(error)));
}
else {
    showSignedOut();
}
