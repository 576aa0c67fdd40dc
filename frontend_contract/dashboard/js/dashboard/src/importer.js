// "Import a job from its URL" (POST /applications/import-url): the api reads the posting's page and
// creates the application. A page it cannot read answers 422 with the reason (and the URL): shown
// here, with a way to add the job by hand with the URL already filled in.
import { ApiError, idempotencyKey } from "../../client/index.js";
import { describe, label, STATUSES } from "./board.js";
import { byId, formValue, h } from "./dom.js";
const METHODS = {
    "json-ld": "the page's structured data",
    microdata: "the page's structured data",
    board: "the job board's page layout",
    text: "the page's text",
};
export class UrlImport {
    api;
    imported;
    flash;
    form = byId("import-url");
    key = idempotencyKey(); // the same key until the import succeeds: a retried click creates one job
    constructor(api, imported, flash) {
        this.api = api;
        this.imported = imported;
        this.flash = flash;
        const select = byId("import-status");
        select.replaceChildren(...STATUSES.map((status) => h("option", { value: status }, label(status))));
        this.form.addEventListener("submit", (event) => {
            event.preventDefault();
            void this.submit();
        });
        this.form.addEventListener("input", () => (this.key = idempotencyKey()));
        byId("import-by-hand").addEventListener("click", () => this.byHand());
    }
    async submit() {
        const url = formValue(this.form, "url").trim();
        const errors = byId("import-errors");
        const button = this.form.querySelector("button[type=submit]");
        errors.textContent = "";
        byId("import-by-hand").hidden = true;
        if (!url) {
            errors.textContent = "Paste the address of the job posting.";
            byId("import-url-input").focus();
            return;
        }
        if (button)
            button.disabled = true;
        try {
            const status = formValue(this.form, "status");
            const result = await this.api.importApplicationFromUrl({ url, status }, this.key);
            this.key = idempotencyKey();
            this.form.reset();
            const { role, company } = result.application;
            this.flash(`Imported ${role} at ${company}, read from ${METHODS[result.method]}. Check the details.`, "info");
            await this.imported(result);
        }
        catch (error) {
            errors.textContent = describe(error);
            if (error instanceof ApiError && error.status === 422)
                byId("import-by-hand").hidden = false;
        }
        finally {
            if (button)
                button.disabled = false;
        }
    }
    /** Open "Add an application" with the URL and status of the failed import filled in. */
    byHand() {
        byId("add-application-box").open = true;
        byId("app-url").value = formValue(this.form, "url").trim();
        byId("app-status").value = formValue(this.form, "status");
        byId("import-by-hand").hidden = true;
        byId("app-company").focus();
    }
}
