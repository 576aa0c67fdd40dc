import { describe } from "./board.js";
import { fillApplications, fillVersions } from "./choices.js";
import { byId, formValue, h } from "./dom.js";
export class AnalysesPanel {
    api;
    flash;
    finished = new Set();
    watching = null;
    application = byId("analysis-application");
    constructor(api, live, flash) {
        this.api = api;
        this.flash = flash;
        const done = (id) => {
            this.finished.add(id);
            if (id === this.watching)
                void this.load(id);
        };
        live.on("analysis.completed", ({ data }) => done(data.analysis_id));
        live.on("analysis.failed", ({ data }) => done(data.analysis_id));
        byId("analysis-form").addEventListener("submit", (event) => {
            event.preventDefault();
            void this.run(event.target);
        });
    }
    async refresh(applications) {
        fillApplications(this.application, applications);
        await fillVersions(this.api, byId("analysis-version"), "The application's resume (or the newest parsed)");
    }
    /** After a `sync.reset` (the completion event may be lost): refetch the analysis shown. */
    async reload() {
        if (this.watching)
            await this.load(this.watching);
    }
    choose(applicationId) {
        this.application.value = applicationId;
    }
    async run(form) {
        const applicationId = formValue(form, "application_id");
        if (!applicationId)
            return this.flash("Add an application first: it holds the job description.");
        const button = form.querySelector("button");
        button?.setAttribute("disabled", "");
        try {
            const analysis = await this.api.createAnalysis({
                application_id: applicationId,
                resume_version_id: formValue(form, "resume_version_id") || null,
            });
            this.watching = analysis.id;
            this.show(analysis);
            if (this.finished.has(analysis.id))
                await this.load(analysis.id);
        }
        catch (error) {
            this.flash(describe(error));
        }
        finally {
            button?.removeAttribute("disabled");
        }
    }
    async load(id) {
        try {
            this.show(await this.api.getAnalysis(id));
        }
        catch (error) {
            this.flash(describe(error));
        }
    }
    show(analysis) {
        const box = byId("analysis");
        box.hidden = false;
        box.dataset.status = analysis.status;
        box.dataset.id = analysis.id;
        const status = byId("analysis-status");
        const result = byId("analysis-result");
        box.setAttribute("aria-busy", String(analysis.status === "queued" || analysis.status === "running"));
        if (analysis.status !== "completed") {
            result.hidden = true;
            status.textContent =
                analysis.status === "failed" ? `The analysis failed: ${analysis.error ?? "unknown error"}` : "Analysing… the result appears here when it is ready.";
            return;
        }
        status.textContent = "Done.";
        const score = analysis.score ?? 0;
        byId("analysis-score").textContent = String(score);
        const meter = byId("analysis-meter");
        meter.value = score;
        meter.textContent = `${score} / 100`;
        const chips = (words, empty) => words.length ? words.map((word) => h("li", {}, word)) : [h("li", { class: "hint" }, empty)];
        byId("analysis-matched").replaceChildren(...chips(analysis.keywords?.matched ?? [], "None"));
        byId("analysis-missing").replaceChildren(...chips(analysis.keywords?.missing ?? [], "None: every keyword is there"));
        byId("analysis-checks").replaceChildren(...analysis.checks.map((check) => h("li", { class: check.passed ? "passed" : "failed", "data-id": check.id }, h("span", { class: check.passed ? "ok" : "bad" }, check.passed ? "✓ Passed: " : "✗ To fix: "), h("strong", {}, check.label), check.detail ? ` — ${check.detail}` : "")));
        byId("analysis-suggestions").replaceChildren(...analysis.suggestions.map((text) => h("li", {}, text)));
        byId("analysis-narrative").textContent = analysis.narrative ?? "";
        result.hidden = false;
    }
}
