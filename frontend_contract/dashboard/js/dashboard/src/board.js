// The applications board: one column per status, cards moved with a labelled select (keyboard and
// screen readers) or by drag and drop, an add form, and each card's status timeline. The board is
// reloaded over REST on `application.changed` (from this tab, another tab or an integration).
import { ApiError, } from "../../client/index.js";
import { byId, formValue, formatDate, h } from "./dom.js";
export const STATUSES = [
    "wishlist",
    "applied",
    "screening",
    "interview",
    "offer",
    "accepted",
    "rejected",
    "withdrawn",
];
export class Board {
    api;
    flash;
    reloading = null;
    again = false;
    constructor(api, live, flash) {
        this.api = api;
        this.flash = flash;
        live.on("application.changed", () => void this.refresh());
        const select = byId("app-status");
        select.replaceChildren(...STATUSES.map((status) => h("option", { value: status }, label(status))));
        byId("add-application").addEventListener("submit", (event) => {
            event.preventDefault();
            void this.add(event.target);
        });
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
        this.draw(items);
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
        byId("board").replaceChildren(...columns);
    }
    card(item) {
        const select = h("select", { id: `move-${item.id}`, "aria-label": `Status of ${item.company}, ${item.role}` }, ...STATUSES.map((status) => h("option", { value: status, selected: status === item.status }, label(status))));
        select.addEventListener("change", () => void this.move(item.id, select.value));
        const card = h("li", { class: "app-card", draggable: "true", "data-id": item.id }, h("strong", { class: "company" }, item.company), h("span", { class: "role" }, item.role), item.location ? h("span", { class: "hint" }, item.location) : null, h("div", { class: "card-actions" }, select, h("button", { type: "button", onclick: () => void this.timeline(item) }, "Timeline")));
        card.addEventListener("dragstart", (event) => event.dataTransfer?.setData("text/plain", item.id));
        return card;
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
    async timeline(item) {
        const steps = await this.api.listApplicationEvents(item.id);
        byId("timeline-title").textContent = `Timeline — ${item.company}, ${item.role}`;
        byId("timeline-list").replaceChildren(...steps.map((step) => h("li", {}, h("time", { datetime: step.at }, formatDate(step.at)), " ", step.from_status ? `${label(step.from_status)} → ${label(step.to_status)}` : `Created as ${label(step.to_status)}`)));
        byId("timeline").showModal();
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
