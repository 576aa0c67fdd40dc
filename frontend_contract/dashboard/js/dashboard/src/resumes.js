import { byId, formValue, h } from "./dom.js";
export class ResumesPanel {
    api;
    flash;
    progress = new Map();
    watched = null;
    constructor(api, live, flash) {
        this.api = api;
        this.flash = flash;
        live.on("resume.parse.progress", ({ data }) => this.update(data.version_id, { percent: data.percent, stage: data.stage }));
        live.on("resume.parsed", ({ data }) => {
            this.update(data.version_id, { percent: 100, stage: "parsed", done: "parsed" });
            void this.refresh();
        });
        live.on("resume.parse.failed", ({ data }) => {
            this.update(data.version_id, { percent: 100, stage: "failed", done: "failed", error: data.error });
            void this.refresh();
        });
        byId("upload").addEventListener("submit", (event) => {
            event.preventDefault();
            void this.upload(event.target);
        });
    }
    /** Reload the list (after sign-in, a `sync.reset`, or a parse outcome). */
    async refresh() {
        const page = await this.api.listResumes();
        const list = byId("resume-list");
        list.replaceChildren(...page.items.map((resume) => h("li", {}, h("strong", {}, resume.title), " — ", versionLabel(resume.latest_version))));
        if (page.items.length === 0)
            list.append(h("li", { class: "hint" }, "No resume yet: upload a PDF above."));
        if (!this.watched) {
            const parsed = page.items.find((resume) => resume.latest_version?.status === "parsed");
            if (parsed?.latest_version)
                this.watch(parsed.id, parsed.latest_version.id, parsed.title);
        }
    }
    async upload(form) {
        const file = byId("upload-file").files?.[0];
        if (!file)
            return this.flash("Choose a PDF file to upload.");
        const button = form.querySelector("button");
        button?.setAttribute("disabled", "");
        try {
            const resume = await this.api.uploadResume(file, file.name, formValue(form, "title") || undefined);
            form.reset();
            if (resume.latest_version)
                this.watch(resume.id, resume.latest_version.id, resume.title);
            await this.refresh();
        }
        catch (error) {
            this.flash(error instanceof Error ? error.message : String(error));
        }
        finally {
            button?.removeAttribute("disabled");
        }
    }
    watch(resumeId, versionId, title) {
        this.watched = { resumeId, versionId };
        byId("parse").hidden = false;
        byId("parse-title").textContent = title;
        byId("parsed").hidden = true;
        this.draw();
    }
    update(versionId, next) {
        const known = this.progress.get(versionId);
        if (known?.done || (known && known.percent > next.percent))
            return; // replays and late frames never go back
        this.progress.set(versionId, next);
        if (this.watched?.versionId === versionId)
            this.draw();
    }
    draw() {
        if (!this.watched)
            return;
        const state = this.progress.get(this.watched.versionId) ?? { percent: 0, stage: "queued" };
        const bar = byId("parse-progress");
        bar.value = state.percent;
        bar.textContent = `${state.percent}%`;
        byId("parse-stage").textContent =
            state.done === "failed" ? `Parsing failed: ${state.error ?? "unknown error"}` : `${capitalise(state.stage)} — ${state.percent}%`;
        if (state.done === "parsed" || state.stage === "parsed")
            void this.showParsed(this.watched);
    }
    async showParsed(target) {
        const version = await this.api.getResumeVersion(target.resumeId, target.versionId);
        if (this.watched?.versionId !== target.versionId)
            return;
        if (version.status !== "parsed")
            return;
        this.progress.set(version.id, { percent: 100, stage: "parsed", done: "parsed" });
        byId("parse-progress").value = 100;
        byId("parse-stage").textContent = "Parsed — 100%";
        const parsed = (version.parsed ?? {});
        byId("parsed-name").textContent = parsed.basics?.name ?? "—";
        byId("parsed-email").textContent = parsed.basics?.email ?? "—";
        byId("parsed-work").replaceChildren(...(parsed.work ?? []).map((job) => h("li", {}, h("strong", {}, job.position ?? "Role"), job.name ? ` at ${job.name}` : "", h("span", { class: "hint" }, ` ${job.startDate ?? ""}–${job.endDate ?? "present"}`))));
        byId("parsed").hidden = false;
    }
}
function versionLabel(version) {
    return version ? `version ${version.number}, ${version.status} (${version.filename})` : "no version";
}
function capitalise(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
}
