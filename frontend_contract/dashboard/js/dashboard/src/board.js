// The applications board: one column per status, cards moved with a labelled select (keyboard and
// screen readers) or by drag and drop, an add form, each card's status timeline, and delete (after a
// confirmation). The board is reloaded over REST on `application.changed` (from this tab, another tab
// or an integration), so a card deleted anywhere disappears everywhere.
import { ApiError, } from "../../client/index.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, formatDate, h } from "./dom.js";
import { ApplicationEditor } from "./editor.js";
export const STATUSES = [
    "wishlist",
    "applied",
    "screening",
    "interview",
    "offer",
    "accepted",
    "rejected",
    "ghosted",
    "withdrawn",
];
export class Board {
    api;
    flash;
    reloading = null;
    again = false;
    /** The applications last loaded (newest first). */
    applications = [];
    actions = [];
    /** Called after every reload with the applications. */
    loaded = [];
    editor;
    constructor(api, live, flash) {
        this.api = api;
        this.flash = flash;
        live.on("application.changed", () => void this.refresh());
        this.editor = new ApplicationEditor(api, () => this.refresh());
        const select = byId("app-status");
        select.replaceChildren(...STATUSES.map((status) => h("option", { value: status }, label(status))));
        byId("add-application").addEventListener("submit", (event) => {
            event.preventDefault();
            void this.add(event.target);
        });
    }
    /** A job just imported from its URL: on the board, and its editor open to check what was read. */
    async imported(item) {
        await this.refresh();
        await this.editor.open(item);
    }
    /** Open the editor on one application (the `#application=<id>` link the browser extension shows);
     * an id that is not the user's (404) says so instead. */
    async openById(id) {
        try {
            await this.editor.open(await this.api.getApplication(id));
        }
        catch {
            this.flash("That application is not in your account.");
        }
    }
    /** Reload every card; calls that arrive during a reload fold into one more reload. */
    refresh() {
        if (this.reloading) {
            this.again = true;
            return this.reloading;
        }
        this.reloading = this.load().finally(() => {
            this.reloading = null;
            if (this.again) {
                this.again = false;
                void this.refresh();
            }
        });
        return this.reloading;
    }
    async load() {
        const items = [];
        let cursor;
        do {
            const page = await this.api.listApplications({ limit: 100, sort: "-updated_at", cursor });
            items.push(...page.items);
            cursor = page.next_cursor ?? undefined;
        } while (cursor);
        this.applications = items;
        this.draw(items);
        await this.stats();
        for (const listener of this.loaded)
            listener(items);
    }
    draw(items) {
        const columns = STATUSES.map((status) => {
            const cards = items.filter((item) => item.status === status);
            const list = h("ul", { class: "cards", "aria-labelledby": `col-${status}` }, ...cards.map((item) => this.card(item)));
            const column = h("section", { class: "column", "data-status": status }, h("h3", { id: `col-${status}` }, label(status), " ", h("span", { class: "count" }, `(${cards.length})`)), list);
            column.addEventListener("dragover", (event) => event.preventDefault());
            column.addEventListener("drop", (event) => {
                event.preventDefault();
                const id = event.dataTransfer?.getData("text/plain");
                if (id)
                    void this.move(id, status);
            });
            return column;
        });
        // A redraw (this tab's change, or a live one from elsewhere) keeps the keyboard focus where it was.
        const focused = byId("board").contains(document.activeElement) ? document.activeElement?.id : undefined;
        byId("board").replaceChildren(...columns);
        if (focused)
            document.getElementById(focused)?.focus();
    }
    card(item) {
        const select = h("select", { id: `move-${item.id}`, "aria-label": `Status of ${item.company}, ${item.role}` }, ...STATUSES.map((status) => h("option", { value: status, selected: status === item.status }, label(status))));
        select.addEventListener("change", () => void this.move(item.id, select.value));
        const card = h("li", { class: "app-card", draggable: "true", "data-id": item.id }, h("strong", { class: "company" }, item.company), h("span", { class: "role" }, item.role), item.location ? h("span", { class: "hint" }, item.location) : null, item.next_follow_up_at
            ? h("span", { class: "follow-up" }, "Follow up ", h("time", { datetime: item.next_follow_up_at }, formatDate(item.next_follow_up_at)))
            : null, item.tags.length ? h("ul", { class: "tags", "aria-label": "Tags" }, ...item.tags.map((tag) => h("li", {}, tag))) : null, h("div", { class: "card-actions" }, select, h("button", { type: "button", id: `timeline-${item.id}`, onclick: () => void this.timeline(item) }, "Timeline"), h("button", { type: "button", id: `edit-${item.id}`, onclick: () => void this.editor.open(item) }, "Edit"), ...this.actions.map((action, n) => h("button", { type: "button", id: `action-${n}-${item.id}`, onclick: () => action.run(item) }, action.label)), h("button", {
            type: "button",
            id: `delete-${item.id}`,
            class: "danger-outline",
            "aria-label": `Delete ${item.company}, ${item.role}`,
            onclick: () => void this.remove(item),
        }, "Delete")));
        card.addEventListener("dragstart", (event) => event.dataTransfer?.setData("text/plain", item.id));
        return card;
    }
    /** The stats panel: totals, response rate, the funnel by status and the table by source. */
    async stats() {
        const stats = await this.api.applicationStats();
        const percent = (rate) => (rate === null ? "—" : `${Math.round(rate * 100)}%`);
        byId("stats-total").textContent = String(stats.total);
        byId("stats-applied").textContent = String(stats.applied);
        byId("stats-responded").textContent = String(stats.responded);
        byId("stats-rate").textContent = percent(stats.response_rate);
        byId("stats-median").textContent =
            stats.median_days_to_first_response === null ? "—" : String(Math.round(stats.median_days_to_first_response * 10) / 10);
        const most = Math.max(1, ...STATUSES.map((status) => stats.by_status[status] ?? 0));
        byId("stats-funnel").replaceChildren(...STATUSES.map((status) => {
            const count = stats.by_status[status] ?? 0;
            const bar = h("span", { class: "bar", "aria-hidden": "true" });
            bar.style.width = `${(100 * count) / most}%`; // the CSSOM: a style="" attribute breaks the page's CSP
            return h("li", { "data-status": status }, h("span", {}, label(status)), bar, h("span", { class: "n" }, String(count)));
        }));
        byId("stats-sources").replaceChildren(...stats.by_source.map((row) => h("tr", {}, h("th", { scope: "row" }, row.source || "(none)"), h("td", {}, String(row.total)), h("td", {}, String(row.applied)), h("td", {}, String(row.responded)), h("td", {}, percent(row.response_rate)))));
    }
    async add(form) {
        const number = (name) => (formValue(form, name) ? Number(formValue(form, name)) : null);
        const body = {
            company: formValue(form, "company"),
            role: formValue(form, "role"),
            status: formValue(form, "status"),
            location: formValue(form, "location"),
            job_url: formValue(form, "job_url"),
            notes: formValue(form, "notes"),
            job_description: formValue(form, "job_description"),
            salary_min: number("salary_min"),
            salary_max: number("salary_max"),
            currency: formValue(form, "currency") || null,
        };
        try {
            await this.api.createApplication(body);
            form.reset();
            byId("app-company").focus();
            await this.refresh();
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    async move(id, status) {
        try {
            await this.api.updateApplication(id, { status });
            await this.refresh();
            document.getElementById(`move-${id}`)?.focus(); // keep the keyboard where it was
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    /** Delete after a confirmation; the focus goes to the next card of the column (or the add form). */
    async remove(item) {
        const detail = "Its timeline, cover letters and analyses are deleted with it. This cannot be undone.";
        if (!(await confirmAction(`Delete ${item.company}, ${item.role}?`, detail, "Delete the application")))
            return;
        const column = this.applications.filter((other) => other.status === item.status);
        const next = column[column.findIndex((other) => other.id === item.id) + 1] ?? column.find((other) => other.id !== item.id);
        try {
            await this.api.deleteApplication(item.id);
            await this.refresh();
            this.flash(`Deleted ${item.company}, ${item.role}.`, "info");
            (next ? document.getElementById(`move-${next.id}`) : byId("add-application-box").querySelector("summary"))?.focus();
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    async timeline(item) {
        const steps = await this.api.listApplicationEvents(item.id);
        byId("timeline-title").textContent = `Timeline — ${item.company}, ${item.role}`;
        byId("timeline-list").replaceChildren(...steps.map((step) => h("li", {}, h("time", { datetime: step.at }, formatDate(step.at)), " ", stepText(step), step.note ? h("span", { class: "hint" }, ` — ${step.note}`) : null)));
        byId("timeline").showModal();
    }
}
/** One timeline entry in words: a status change, an interview or a contact. */
export function stepText(step) {
    const interview = step.interview;
    const round = interview ? `${label(interview.kind.replace("_", " "))} interview (${formatDate(interview.starts_at)})` : "";
    switch (step.kind ?? "status") {
        case "status":
            return step.from_status ? `${label(step.from_status)} → ${label(step.to_status ?? "")}` : `Created as ${label(step.to_status ?? "")}`;
        case "interview_scheduled":
            return `${round} scheduled`;
        case "interview_rescheduled":
            return `${round} moved${interview?.previous_starts_at ? ` from ${formatDate(interview.previous_starts_at)}` : ""}`;
        case "interview_outcome":
            return `${round}: ${label((interview?.outcome ?? "").replace("_", " "))}`;
        case "interview_removed":
            return `${round} removed`;
        case "contact_linked":
            return `Contact linked: ${step.contact?.name ?? ""}`;
        case "contact_unlinked":
            return `Contact unlinked: ${step.contact?.name ?? ""}`;
        default:
            return "";
    }
}
export function label(status) {
    return status.charAt(0).toUpperCase() + status.slice(1);
}
/** A problem's title, detail and field errors in one line. */
export function describe(error) {
    if (!(error instanceof ApiError))
        return error instanceof Error ? error.message : String(error);
    const fields = Object.entries(error.fieldErrors).map(([field, message]) => `${field} ${message}`);
    return [error.message, ...fields].join(" — ");
}
