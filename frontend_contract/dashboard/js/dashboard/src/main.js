// The reference dashboard's entry point: sign-in state, tabs, the live connection indicator and the
// activity list. Served by the api at `/` (same origin: no CORS, and the socket's Origin is allowed).
import { ApiClient, Realtime } from "../../client/index.js";
import { Board, describe } from "./board.js";
import { byId, formValue, h } from "./dom.js";
import { VerifyBanner } from "./account.js";
import { AnalysesPanel } from "./analyses.js";
import { AnalyticsPanel } from "./analytics.js";
import { LettersPanel } from "./letters.js";
import { Bell } from "./notifications.js";
import { ResumesPanel } from "./resumes.js";
import { lastEventId, tokenStore } from "./session.js";
import { SettingsPanel } from "./settings.js";
import { TokensPanel } from "./tokens.js";
import { UrlImport } from "./importer.js";
import { CalendarFeedCard } from "./calendar.js";
import { InterviewsDialog } from "./interviews.js";
import { ContactsPanel } from "./contacts.js";
const api = new ApiClient({
    tokens: tokenStore,
    refreshCookie: true, // same origin as the api: the refresh token stays in its HttpOnly cookie
    onSignedOut: () => showSignedOut("Your session ended: sign in again."),
});
const live = new Realtime(api, {
    lastEventId: lastEventId.get(),
    onEvent: (event) => {
        lastEventId.set(event.id);
        logActivity(event);
    },
    onReset: () => {
        // history could not cover the gap: reload what is shown
        void refreshAll();
        void letters.reload();
        void analyses.reload();
        analytics.refreshIfShown();
    },
    onState: showConnection,
    onAccountClosed: () => {
        tokenStore.set(null);
        showSignedOut("Your account was disabled or deleted.");
    },
    onSessionEnded: () => {
        tokenStore.set(null);
        showSignedOut("Your session ended: sign in again.");
    },
    maxDelayMs: 10_000, // a demo: come back quickly after a restart
});
const resumes = new ResumesPanel(api, live, flash);
const board = new Board(api, live, flash);
const letters = new LettersPanel(api, live, flash);
board.actions.push({
    label: "Cover letter",
    run: (item) => {
        letters.choose(item.id);
        showTab("tab-letters");
        byId("letter-tone").focus();
    },
});
const interviews = new InterviewsDialog(api, flash);
board.actions.push({ label: "Interviews", run: (item) => void interviews.open(item) });
const analyses = new AnalysesPanel(api, live, flash);
const bell = new Bell(api, live, flash);
board.actions.push({
    label: "Analyse",
    run: (item) => {
        analyses.choose(item.id);
        showTab("tab-analyses");
        byId("analysis-version").focus();
    },
});
const settings = new SettingsPanel(api);
const analytics = new AnalyticsPanel(api, live); // loaded when its tab is opened
const tokens = new TokensPanel(api);
const calendarFeed = new CalendarFeedCard(api);
const contacts = new ContactsPanel(api, board, flash);
new UrlImport(api, (result) => board.imported(result.application), flash);
const verifyBanner = new VerifyBanner(api);
board.loaded.push((items) => void letters.refresh(items));
board.loaded.push((items) => void analyses.refresh(items));
const versionsChanged = () => {
    void letters.refresh(board.applications);
    void analyses.refresh(board.applications);
};
live.on("resume.parsed", versionsChanged); // a new version to choose
resumes.deleted.push(versionsChanged); // versions gone
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
/** A message at the top of the page: an error (the default) or `"info"` (e.g. "Deleted …"). */
function flash(message, kind = "error") {
    const element = byId("flash");
    element.textContent = message;
    element.dataset.kind = kind;
    element.hidden = false;
    clearTimeout(Number(element.dataset.timer));
    element.dataset.timer = String(setTimeout(() => (element.hidden = true), 8000));
}
function logActivity(event) {
    if (event.type === "cover_letter.delta")
        return; // hundreds per letter: the letter itself shows them
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
    analytics.refreshIfShown();
    await Promise.all([resumes.refresh(), board.refresh(), bell.refresh(), settings.refresh(), tokens.refresh(), calendarFeed.refresh(), contacts.refresh()]);
}
async function showSignedIn() {
    await verifying; // a verification link being confirmed: then `me` says whether it worked
    const me = await api.getMe();
    byId("who").textContent = me.full_name;
    verifyBanner.show(me);
    byId("account").hidden = false;
    byId("auth").hidden = true;
    byId("workspace").hidden = false;
    live.start(); // state is loaded after the socket is asked for; replay covers the rest
    await refreshAll();
    await openLinkedApplication();
}
/** `/#application=<id>` (the link the browser extension shows after saving a job): open its editor;
 * at sign-in, and whenever such a link is followed in an open dashboard. */
window.addEventListener("hashchange", () => {
    if (api.signedIn)
        void openLinkedApplication();
});
async function openLinkedApplication() {
    const id = new URLSearchParams(location.hash.slice(1)).get("application");
    if (!id)
        return;
    history.replaceState(null, "", location.pathname + location.search);
    await board.openById(id);
}
function showSignedOut(message) {
    live.stop();
    lastEventId.clear();
    live.lastEventId = undefined;
    byId("account").hidden = true;
    byId("workspace").hidden = true;
    verifyBanner.hide();
    for (const id of ["letter", "analysis", "bell-panel"])
        byId(id).hidden = true; // nothing of the last user
    analytics.clear();
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
            .then(() => finishSignUp(body.email, body.password))
            .catch((error) => flash(describe(error)));
    });
    byId("sign-out").addEventListener("click", () => {
        void api.logout().then(() => showSignedOut("Signed out."));
    });
}
/** "Forgot your password?": the api answers 202 whether or not the account exists. */
function wireForgotPassword() {
    byId("forgot").addEventListener("submit", (event) => {
        event.preventDefault();
        const form = event.target;
        const email = formValue(form, "email");
        const status = byId("forgot-status");
        if (!email) {
            status.textContent = "Enter the email address of your account.";
            return;
        }
        void api
            .requestPasswordReset({ email })
            .then(() => (status.textContent = `If an account exists for ${email}, a reset link is on its way.`))
            .catch((error) => (status.textContent = describe(error)));
    });
}
/** The confirmation of a verification link opened in this page (the banner waits for it). */
let verifying = Promise.resolve();
/** The page was opened from an account email: `/verify-email?token=…` or `/reset-password?token=…`. */
function emailLink() {
    const kind = { "/verify-email": "verify", "/reset-password": "reset" }[location.pathname];
    const token = new URLSearchParams(location.search).get("token");
    if (!kind)
        return null;
    // The token is single use: keep it out of the address bar, the history and later bookmarks.
    history.replaceState(null, "", "/");
    return token ? { kind, token } : { kind, token: "" };
}
async function handleEmailLink(link) {
    const box = byId("email-link");
    const title = byId("email-link-title");
    const status = byId("email-link-status");
    const show = (text, ok) => {
        status.textContent = text;
        status.className = ok === null ? "" : ok ? "ok" : "bad";
    };
    box.hidden = false;
    if (!link.token) {
        title.textContent = link.kind === "verify" ? "Confirm your email" : "Choose a new password";
        return show("This link has no token: open the whole link from the email.", false);
    }
    if (link.kind === "verify") {
        title.textContent = "Confirm your email";
        show("Confirming your email address…", null);
        const confirming = api.verifyEmail({ token: link.token });
        verifying = confirming.catch(() => undefined);
        try {
            await confirming;
            show("Your email address is confirmed. Thank you!", true);
        }
        catch (error) {
            show(`This link could not confirm your email: ${describe(error)}. Sign in to ask for a new one.`, false);
        }
        return;
    }
    title.textContent = "Choose a new password";
    show("Enter your email and a new password.", null);
    const form = byId("reset-password");
    form.hidden = false;
    byId("reset-email").focus();
    form.addEventListener("submit", (event) => {
        event.preventDefault();
        const email = formValue(form, "email");
        const password = formValue(form, "new_password");
        void api
            .confirmPasswordReset({ token: link.token, new_password: password })
            .then(async () => {
            form.hidden = true;
            show("Your password is changed. Signing you in…", true);
            await signIn(email, password);
            if (api.signedIn)
                box.hidden = true;
            else
                show("Your password is changed: sign in with it.", true);
        })
            .catch((error) => show(describe(error), false));
    });
}
/** Sign-up answers 202 whether or not the address already has an account (an email says which):
 * say so, then sign in, which works at once for a new account (its address is confirmed later). */
async function finishSignUp(email, password) {
    const checkEmail = "Check your email to finish signing up.";
    try {
        await api.login({ email, password });
    }
    catch {
        byId("sign-in-email").value = email;
        flash(`${checkEmail} Then sign in here.`, "info");
        return;
    }
    await showSignedIn();
    flash(checkEmail, "info");
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
function tabs() {
    return [...document.querySelectorAll('[role="tab"]')];
}
/** Select the tab with id `tabId` and show its panel. */
function showTab(tabId) {
    for (const tab of tabs()) {
        const selected = tab.id === tabId;
        tab.setAttribute("aria-selected", String(selected));
        tab.tabIndex = selected ? 0 : -1;
        byId(tab.getAttribute("aria-controls") ?? "").hidden = !selected;
    }
    if (tabId === "tab-analytics")
        void analytics.refresh(); // fresh numbers each time it is opened
}
/** WAI-ARIA tabs: click or arrow keys move between panels. */
function wireTabs() {
    const all = tabs();
    all.forEach((tab, index) => {
        tab.addEventListener("click", () => showTab(tab.id));
        tab.addEventListener("keydown", (event) => {
            const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
            if (!step)
                return;
            const next = all[(index + step + all.length) % all.length];
            if (next) {
                showTab(next.id);
                next.focus();
            }
        });
    });
}
wireAuth();
wireForgotPassword();
wireTabs();
const link = emailLink();
if (link)
    void handleEmailLink(link);
// A reload (or a new tab): the api's cookie still holds this browser's session, if there is one.
void api.resume().then((signedIn) => {
    if (signedIn)
        showSignedIn().catch((error) => showSignedOut(describe(error)));
    else
        showSignedOut();
});
