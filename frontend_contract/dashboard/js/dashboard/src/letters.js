import { describe } from "./board.js";
import { fillApplications, fillVersions } from "./choices.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, formatDate, h } from "./dom.js";
export const TONES = ["professional", "enthusiastic", "friendly", "concise"];
const STATUS_TEXT = {
    queued: "Queued: the writer starts in a moment…",
    streaming: "Writing…",
    completed: "Done. Edit the letter, save it, copy it.",
    failed: "This letter could not be written.",
    cancelled: "Cancelled: the text written so far is kept.",
};
export class LettersPanel {
    api;
    flash;
    deltas = new Map(); // letter id -> seq -> text
    ended = new Set(); // letters whose terminal event arrived
    asked = new Map(); // letter id -> the body that created it (Try again)
    resumeGone = new Set(); // failed letters whose resume version was deleted
    current = null;
    text = byId("letter-text");
    application = byId("letter-application");
    constructor(api, live, flash) {
        this.api = api;
        this.flash = flash;
        live.on("cover_letter.delta", ({ data }) => {
            const pieces = this.deltas.get(data.cover_letter_id) ?? new Map();
            this.deltas.set(data.cover_letter_id, pieces);
            if (pieces.has(data.seq))
                return; // a replayed or resent delta: keep the first
            pieces.set(data.seq, data.text);
            if (this.current?.id === data.cover_letter_id && isRunning(this.current.status)) {
                this.current.status = "streaming";
                this.draw();
            }
        });
        const finished = ({ data }) => {
            this.ended.add(data.cover_letter_id);
            if (this.current?.id === data.cover_letter_id)
                void this.open(data.cover_letter_id);
            void this.refreshList();
        };
        live.on("cover_letter.completed", finished);
        live.on("cover_letter.failed", (event) => {
            if (event.data.reason === "resume_gone")
                this.resumeGone.add(event.data.cover_letter_id);
            finished(event);
        });
        live.on("cover_letter.cancelled", finished);
        byId("letter-tone").replaceChildren(...TONES.map((tone) => h("option", { value: tone }, capitalise(tone))));
        byId("letter-form").addEventListener("submit", (event) => {
            event.preventDefault();
            void this.generate(event.target);
        });
        this.application.addEventListener("change", () => void this.refreshList());
        byId("letter-cancel").addEventListener("click", () => void this.cancel());
        byId("letter-save").addEventListener("click", () => void this.save());
        byId("letter-copy").addEventListener("click", () => void this.copy());
        byId("letter-retry").addEventListener("click", () => void this.retry());
        this.text.addEventListener("input", () => {
            byId("letter-save").disabled = false;
            this.say("Edited: save to keep the changes.");
        });
    }
    /** New applications or resumes: refresh the pickers (and the list for the chosen application). */
    async refresh(applications) {
        fillApplications(this.application, applications);
        await Promise.all([
            fillVersions(this.api, byId("letter-version"), "The application's resume (or the newest parsed)"),
            this.refreshList(),
        ]);
    }
    /** After a `sync.reset` (deltas may be lost): the stored checkpoint, then the deltas after it. */
    async reload() {
        if (this.current)
            await this.open(this.current.id);
    }
    /** Show the panel for one application (the card's "Cover letter" button). */
    choose(applicationId) {
        this.application.value = applicationId;
        void this.refreshList();
    }
    async refreshList() {
        const list = byId("letter-list");
        const applicationId = this.application.value;
        if (!applicationId)
            return void list.replaceChildren();
        const page = await this.api.listCoverLetters({ application_id: applicationId, limit: 50 });
        list.replaceChildren(...page.items.map((letter) => h("li", { "data-id": letter.id, "data-status": letter.status }, h("span", {}, `${capitalise(letter.tone)} — ${letter.status}, `, h("time", { datetime: letter.created_at }, formatDate(letter.created_at)), " "), h("button", { type: "button", class: "link", onclick: () => void this.open(letter.id) }, "Open"), " ", h("button", {
            type: "button",
            class: "link danger-link",
            "aria-label": `Delete the ${letter.tone} letter of ${formatDate(letter.created_at)}`,
            onclick: () => void this.remove(letter),
        }, "Delete"))));
        if (!page.items.length)
            list.append(h("li", { class: "hint" }, "No letter for this application yet."));
    }
    async remove(letter) {
        const when = formatDate(letter.created_at);
        if (!(await confirmAction(`Delete the ${letter.tone} letter of ${when}?`, "This cannot be undone.", "Delete the letter")))
            return;
        try {
            await this.api.deleteCoverLetter(letter.id);
            if (this.current?.id === letter.id) {
                this.current = null;
                byId("letter").hidden = true;
            }
            await this.refreshList();
            this.flash(`Deleted the ${letter.tone} letter of ${when}.`, "info");
            this.application.focus();
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    async generate(form) {
        const applicationId = formValue(form, "application_id");
        if (!applicationId)
            return this.flash("Add an application first: a letter is written for one.");
        const body = {
            application_id: applicationId,
            resume_version_id: formValue(form, "resume_version_id") || null,
            tone: formValue(form, "tone"),
            instructions: formValue(form, "instructions"),
        };
        await this.start(body, form.querySelector("button"));
    }
    /** "Try again" on a failed letter: a new letter from the inputs of the failed one. */
    async retry() {
        const failed = this.current?.letter;
        if (!failed)
            return;
        const body = this.asked.get(failed.id) ?? {
            application_id: failed.application_id,
            resume_version_id: failed.resume_version_id,
            tone: failed.tone,
            instructions: "",
        };
        if (!body.application_id)
            return this.flash("Write a new letter with the form above.");
        // A deleted resume version cannot be used again: the application's resume (or the newest) instead.
        const again = this.resumeGone.has(failed.id) ? { ...body, resume_version_id: null } : body;
        await this.start(again, byId("letter-retry"));
        this.text.focus(); // the retry button is gone with the failure: keep the focus on the new letter
    }
    async start(body, button) {
        button?.setAttribute("disabled", "");
        try {
            const letter = await this.api.createCoverLetter(body);
            this.asked.set(letter.id, body);
            this.show(letter);
            if (this.ended.has(letter.id))
                await this.open(letter.id); // finished before the answer arrived
            await this.refreshList();
        }
        catch (error) {
            this.flash(describe(error));
        }
        finally {
            button?.removeAttribute("disabled");
        }
    }
    async open(id) {
        try {
            this.show(await this.api.getCoverLetter(id));
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    show(letter) {
        this.current = { letter, id: letter.id, base: letter.content, baseSeq: letter.seq, status: letter.status };
        byId("letter").hidden = false;
        byId("letter-title").textContent = `Cover letter — ${letter.company}, ${letter.role}`;
        byId("letter").dataset.id = letter.id;
        this.draw();
    }
    /** The stored text (up to its checkpoint `seq`), then every later delta in seq order. */
    draw() {
        const current = this.current;
        if (!current)
            return;
        const running = isRunning(current.status);
        const later = [...(this.deltas.get(current.id) ?? new Map())]
            .filter(([seq]) => seq > current.baseSeq)
            .sort(([a], [b]) => a - b)
            .map(([, text]) => text);
        const failed = current.status === "failed";
        this.text.value = running ? current.base + later.join("") : failed ? "" : current.base;
        this.text.readOnly = running;
        this.text.scrollTop = this.text.scrollHeight;
        byId("letter").dataset.status = current.status;
        byId("letter").setAttribute("aria-busy", String(running));
        byId("letter-editor").hidden = failed;
        byId("letter-failure").hidden = !failed;
        byId("letter-draft").hidden = !failed || !current.base;
        byId("letter-draft-text").textContent = failed ? current.base : "";
        byId("letter-cancel").hidden = !running;
        byId("letter-save").hidden = current.status !== "completed";
        byId("letter-copy").hidden = failed;
        byId("letter-save").disabled = true;
        this.say(failed ? (current.letter.error ?? STATUS_TEXT.failed) : STATUS_TEXT[current.status]);
    }
    async cancel() {
        const current = this.current;
        if (!current)
            return;
        try {
            await this.api.cancelCoverLetter(current.id); // `cover_letter.cancelled` follows, after the last delta
            this.say("Cancelling…");
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    async save() {
        const current = this.current;
        if (!current)
            return;
        try {
            const letter = await this.api.updateCoverLetter(current.id, { content: this.text.value });
            this.show(letter);
            this.say("Saved.");
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    async copy() {
        try {
            await navigator.clipboard.writeText(this.text.value);
        }
        catch {
            this.text.select(); // no clipboard permission: the older way
            document.execCommand("copy");
        }
        this.say("Copied to the clipboard.");
    }
    say(text) {
        byId("letter-status").textContent = text;
    }
}
function isRunning(status) {
    return status === "queued" || status === "streaming";
}
function capitalise(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
}
