// The interviews of one application (/applications/{id}/interviews): each round with its time in the
// browser's zone, length, place or link, people, notes and outcome (changed in place), added from a
// form (a local time is sent with its offset), deleted after a confirmation. Reminders before each
// come from the notification settings; the timeline lists them.
import { ApiError } from "../../client/index.js";
import { describe, label } from "./board.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, formatDate, h } from "./dom.js";
import { fromLocalInput } from "./editor.js";
const OUTCOMES = ["pending", "passed", "failed", "cancelled", "no_show"];
const words = (value) => label(value.replace("_", " "));
export class InterviewsDialog {
    api;
    flash;
    applicationId = "";
    dialog = byId("interviews");
    form = byId("interview-form");
    constructor(api, flash) {
        this.api = api;
        this.flash = flash;
        this.form.addEventListener("submit", (event) => {
            event.preventDefault();
            void this.add();
        });
        byId("interviews-close").addEventListener("click", () => this.dialog.close());
    }
    async open(application) {
        this.applicationId = application.id;
        byId("interviews-title").textContent = `Interviews — ${application.company}, ${application.role}`;
        byId("interview-errors").textContent = "";
        this.form.reset();
        try {
            await this.refresh();
            this.dialog.showModal();
            byId("interview-kind").focus();
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    async refresh() {
        const rounds = await this.api.listInterviews(this.applicationId);
        byId("interview-list").replaceChildren(...rounds.map((round) => this.row(round)), ...(rounds.length ? [] : [h("li", { class: "hint" }, "No interviews yet.")]));
    }
    row(round) {
        const outcome = h("select", { "aria-label": `Outcome of the ${words(round.kind)} interview`, onchange: () => void this.setOutcome(round, outcome.value) }, ...OUTCOMES.map((value) => h("option", { value, selected: value === round.outcome }, words(value))));
        const where = round.link
            ? h("a", { href: round.link, target: "_blank", rel: "noopener noreferrer" }, round.place_or_link)
            : round.place_or_link;
        return h("li", { "data-interview": round.id }, h("strong", {}, `${words(round.kind)} · ${formatDate(round.starts_at)}`), ` (${round.duration_minutes} min)`, where ? h("span", {}, " · ", where) : null, round.people.length ? h("span", { class: "hint" }, ` · with ${round.people.join(", ")}`) : null, round.prep_notes ? h("p", { class: "hint" }, round.prep_notes) : null, outcome, h("button", { type: "button", class: "secondary", onclick: () => void this.remove(round) }, "Delete"));
    }
    async add() {
        const errors = byId("interview-errors");
        errors.textContent = "";
        const starts = fromLocalInput(formValue(this.form, "starts_at"));
        if (!starts) {
            errors.textContent = "Choose when the interview starts.";
            byId("interview-starts").focus();
            return;
        }
        const body = {
            kind: formValue(this.form, "kind"),
            starts_at: starts,
            duration_minutes: Number(formValue(this.form, "duration_minutes") || 60),
            place_or_link: formValue(this.form, "place_or_link"),
            people: formValue(this.form, "people")
                .split(",")
                .map((name) => name.trim())
                .filter(Boolean),
            prep_notes: formValue(this.form, "prep_notes"),
        };
        try {
            await this.api.createInterview(this.applicationId, body);
            this.form.reset();
            await this.refresh();
        }
        catch (error) {
            errors.textContent = describe(error);
            const first = error instanceof ApiError ? Object.keys(error.fieldErrors)[0] : undefined;
            if (first)
                this.form.querySelector(`[name="${first}"]`)?.focus();
        }
    }
    async setOutcome(round, outcome) {
        try {
            await this.api.updateInterview(this.applicationId, round.id, { outcome });
            await this.refresh();
        }
        catch (error) {
            byId("interview-errors").textContent = describe(error);
        }
    }
    async remove(round) {
        const question = `Delete the ${words(round.kind)} interview of ${formatDate(round.starts_at)}?`;
        if (!(await confirmAction(question, "Its reminders stop; the timeline keeps that it was removed.", "Delete the interview")))
            return;
        try {
            await this.api.deleteInterview(this.applicationId, round.id);
            await this.refresh();
        }
        catch (error) {
            byId("interview-errors").textContent = describe(error);
        }
    }
}
