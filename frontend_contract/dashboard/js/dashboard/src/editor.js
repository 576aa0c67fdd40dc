// Edit every field of an application in a dialog (PATCH /applications/{id}): status with a note for
// the timeline, salary, dates (applied, next follow-up), tags, work mode, source, the resume version
// sent, the job description and notes. Field errors of a 422 are listed next to the Save button.
import { ApiError, } from "../../client/index.js";
import { STATUSES, describe, label } from "./board.js";
import { fillVersions } from "./choices.js";
import { byId, formValue, h } from "./dom.js";
export class ApplicationEditor {
    api;
    saved;
    editing = null;
    dialog = byId("edit-application");
    form = byId("edit-form");
    constructor(api, saved) {
        this.api = api;
        this.saved = saved;
        byId("edit-status").replaceChildren(...STATUSES.map((status) => h("option", { value: status }, label(status))));
        this.form.addEventListener("submit", (event) => {
            event.preventDefault();
            void this.save();
        });
        byId("edit-close").addEventListener("click", () => this.dialog.close());
        byId("edit-snapshot").addEventListener("click", () => void this.showSnapshot());
    }
    async open(item) {
        this.editing = item;
        byId("edit-title").textContent = `Edit — ${item.company}, ${item.role}`;
        byId("edit-errors").textContent = "";
        const set = (id, value) => void (byId(id).value = value);
        set("edit-company", item.company);
        set("edit-role", item.role);
        set("edit-status", item.status);
        set("edit-status-note", "");
        set("edit-location", item.location);
        set("edit-remote", item.remote ?? "");
        set("edit-url", item.job_url);
        set("edit-source", item.source);
        set("edit-salary-min", item.salary_min === null ? "" : String(item.salary_min));
        set("edit-salary-max", item.salary_max === null ? "" : String(item.salary_max));
        set("edit-currency", item.currency ?? "");
        set("edit-applied-at", toLocalInput(item.applied_at));
        set("edit-follow-up", toLocalInput(item.next_follow_up_at));
        set("edit-tags", item.tags.join(", "));
        set("edit-job-description", item.job_description);
        set("edit-notes", item.notes);
        const versions = byId("edit-resume-version");
        versions.value = "";
        await fillVersions(this.api, versions, "None");
        versions.value = item.resume_version_id ?? "";
        this.dialog.showModal();
        byId("edit-company").focus();
    }
    /** The page the application was imported from, in a sandboxed frame (no scripts, forms or other
     * origins: `sandbox=""`), or why there is none. */
    async showSnapshot() {
        const item = this.editing;
        if (!item)
            return;
        try {
            byId("snapshot-frame").srcdoc = await this.api.getApplicationSnapshot(item.id);
            byId("snapshot").showModal();
        }
        catch (error) {
            byId("edit-errors").textContent =
                error instanceof ApiError && error.status === 404
                    ? "No copy of the posting was kept: this application was not imported from a URL."
                    : describe(error);
        }
    }
    async save() {
        const item = this.editing;
        if (!item)
            return;
        const form = this.form;
        const number = (name) => (formValue(form, name) ? Number(formValue(form, name)) : null);
        const status = formValue(form, "status");
        const body = {
            company: formValue(form, "company"),
            role: formValue(form, "role"),
            location: formValue(form, "location"),
            remote: (formValue(form, "remote") || null),
            job_url: formValue(form, "job_url"),
            source: formValue(form, "source"),
            salary_min: number("salary_min"),
            salary_max: number("salary_max"),
            currency: formValue(form, "currency").toUpperCase() || null,
            applied_at: fromLocalInput(formValue(form, "applied_at")),
            next_follow_up_at: fromLocalInput(formValue(form, "next_follow_up_at")),
            tags: formValue(form, "tags")
                .split(",")
                .map((tag) => tag.trim())
                .filter(Boolean),
            resume_version_id: formValue(form, "resume_version_id") || null,
            job_description: formValue(form, "job_description"),
            notes: formValue(form, "notes"),
        };
        if (status !== item.status) {
            body.status = status; // only a real change adds a timeline step
            const note = formValue(form, "status_note");
            if (note)
                body.status_note = note;
        }
        try {
            await this.api.updateApplication(item.id, body);
            this.dialog.close();
            await this.saved();
            document.getElementById(`move-${item.id}`)?.focus();
        }
        catch (error) {
            byId("edit-errors").textContent = describe(error);
            if (error instanceof ApiError) {
                const first = Object.keys(error.fieldErrors)[0];
                if (first)
                    form.querySelector(`[name="${first}"]`)?.focus();
            }
        }
    }
}
/** An ISO instant as a `datetime-local` value in the browser's zone ("" for none). */
export function toLocalInput(iso) {
    if (!iso)
        return "";
    const at = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}
/** A `datetime-local` value (the browser's zone) as an ISO instant, or null when empty. */
export function fromLocalInput(value) {
    return value ? new Date(value).toISOString() : null;
}
