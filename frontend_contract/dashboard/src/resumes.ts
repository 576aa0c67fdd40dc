// Resumes: upload a PDF, watch the parse progress live (`resume.parse.progress`), then show the
// parsed result (`resume.parsed` -> GET the version). Events may arrive before the upload's answer,
// so progress is kept per version id and drawn for the version being watched. A resume is deleted
// (every version and file) after a confirmation.
import type { ApiClient, ParsedResume, Realtime, Schemas } from "../../client/index.js";
import { describe } from "./board.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, formatDate, h } from "./dom.js";

type Resume = Schemas["ResumeOut"];
type Progress = { percent: number; stage: string; done?: "parsed" | "failed"; error?: string };

export class ResumesPanel {
  private readonly progress = new Map<string, Progress>();
  private watched: { resumeId: string; versionId: string } | null = null;
  private readonly open = new Set<string>(); // resumes whose versions are shown
  /** Called after a resume is deleted (the version pickers of other panels change). */
  readonly deleted: (() => void)[] = [];

  constructor(
    private readonly api: ApiClient,
    live: Realtime,
    private readonly flash: (message: string, kind?: "info") => void,
  ) {
    live.on("resume.parse.progress", ({ data }) => this.update(data.version_id, { percent: data.percent, stage: data.stage }));
    live.on("resume.parsed", ({ data }) => {
      this.update(data.version_id, { percent: 100, stage: "parsed", done: "parsed" });
      void this.refresh();
    });
    live.on("resume.parse.failed", ({ data }) => {
      this.update(data.version_id, { percent: 100, stage: "failed", done: "failed", error: data.error });
      void this.refresh();
    });
    byId<HTMLFormElement>("upload").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.upload(event.target as HTMLFormElement);
    });
  }

  /** Reload the list (after sign-in, a `sync.reset`, or a parse outcome). */
  async refresh(): Promise<void> {
    const page = await this.api.listResumes();
    const list = byId("resume-list");
    list.replaceChildren(...page.items.map((resume) => this.resumeItem(resume)));
    if (page.items.length === 0) list.append(h("li", { class: "hint" }, "No resume yet: upload a PDF above."));
    await Promise.all(page.items.filter((resume) => this.open.has(resume.id)).map((resume) => this.loadVersions(resume)));
    if (!this.watched) {
      const parsed = page.items.find((resume) => resume.latest_version?.status === "parsed");
      if (parsed?.latest_version) this.watch(parsed.id, parsed.latest_version.id, parsed.title);
    }
  }

  /** One resume: its newest version, and (opened on demand) every version and a form for a new one. */
  private resumeItem(resume: Resume): HTMLLIElement {
    const fileId = `version-file-${resume.id}`;
    const form = h(
      "form",
      { class: "new-version", novalidate: true },
      h("label", { for: fileId }, `New version of ${resume.title} (PDF)`),
      h("input", { id: fileId, name: "file", type: "file", accept: "application/pdf", required: true }),
      h("button", { type: "submit" }, "Upload the new version"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.uploadVersion(resume, form);
    });
    const details = h(
      "details",
      { class: "versions", open: this.open.has(resume.id) },
      h("summary", {}, `Versions of ${resume.title}`),
      h("ol", { class: "version-list", id: `versions-${resume.id}` }),
      form,
    );
    details.addEventListener("toggle", () => {
      if (details.open) {
        this.open.add(resume.id);
        void this.loadVersions(resume);
      } else this.open.delete(resume.id);
    });
    return h(
      "li",
      { "data-id": resume.id },
      h("strong", {}, resume.title),
      " — ",
      versionLabel(resume.latest_version),
      " ",
      h(
        "button",
        { type: "button", class: "link danger-link", "aria-label": `Delete ${resume.title}`, onclick: () => void this.remove(resume) },
        "Delete",
      ),
      details,
    );
  }

  private async remove(resume: Resume): Promise<void> {
    const detail = "Every version, with its file, parsed data and analyses, is deleted. This cannot be undone.";
    if (!(await confirmAction(`Delete the resume ${resume.title}?`, detail, "Delete the resume"))) return;
    try {
      await this.api.deleteResume(resume.id);
      this.open.delete(resume.id);
      if (this.watched?.resumeId === resume.id) {
        this.watched = null;
        byId("parse").hidden = true;
      }
      await this.refresh();
      this.flash(`Deleted the resume ${resume.title}.`, "info");
      byId<HTMLInputElement>("upload-title").focus();
      for (const listener of this.deleted) listener();
    } catch (error) {
      this.flash(describe(error));
    }
  }

  private async loadVersions(resume: Resume): Promise<void> {
    const versions = await this.api.listResumeVersions(resume.id);
    document.getElementById(`versions-${resume.id}`)?.replaceChildren(
      ...versions.map((version) =>
        h(
          "li",
          { "data-status": version.status },
          `Version ${version.number}: ${version.filename}, ${version.status}, ${formatSize(version.size)}, `,
          h("time", { datetime: version.created_at }, formatDate(version.created_at)),
          " ",
          version.status === "parsed"
            ? h(
                "button",
                {
                  type: "button",
                  class: "link",
                  "aria-label": `Show version ${version.number} of ${resume.title}`,
                  onclick: () => this.watch(resume.id, version.id, `${resume.title}, version ${version.number}`),
                },
                "Show",
              )
            : null,
        ),
      ),
    );
  }

  private async uploadVersion(resume: Resume, form: HTMLFormElement): Promise<void> {
    const file = form.querySelector<HTMLInputElement>('input[type="file"]')?.files?.[0];
    if (!file) return this.flash("Choose a PDF file to upload.");
    const button = form.querySelector("button");
    button?.setAttribute("disabled", "");
    try {
      const updated = await this.api.uploadResumeVersion(resume.id, file, file.name);
      this.open.add(resume.id);
      const latest = updated.latest_version;
      if (latest) this.watch(updated.id, latest.id, `${updated.title}, version ${latest.number}`);
      await this.refresh();
    } catch (error) {
      this.flash(error instanceof Error ? error.message : String(error));
    } finally {
      button?.removeAttribute("disabled");
    }
  }

  private async upload(form: HTMLFormElement): Promise<void> {
    const file = byId<HTMLInputElement>("upload-file").files?.[0];
    if (!file) return this.flash("Choose a PDF file to upload.");
    const button = form.querySelector("button");
    button?.setAttribute("disabled", "");
    try {
      const resume = await this.api.uploadResume(file, file.name, formValue(form, "title") || undefined);
      form.reset();
      if (resume.latest_version) this.watch(resume.id, resume.latest_version.id, resume.title);
      await this.refresh();
    } catch (error) {
      this.flash(error instanceof Error ? error.message : String(error));
    } finally {
      button?.removeAttribute("disabled");
    }
  }

  private watch(resumeId: string, versionId: string, title: string): void {
    this.watched = { resumeId, versionId };
    byId("parse").hidden = false;
    byId("parse-title").textContent = title;
    byId("parsed").hidden = true;
    this.draw();
  }

  private update(versionId: string, next: Progress): void {
    const known = this.progress.get(versionId);
    if (known?.done || (known && known.percent > next.percent)) return; // replays and late frames never go back
    this.progress.set(versionId, next);
    if (this.watched?.versionId === versionId) this.draw();
  }

  private draw(): void {
    if (!this.watched) return;
    const state = this.progress.get(this.watched.versionId) ?? { percent: 0, stage: "queued" };
    const bar = byId<HTMLProgressElement>("parse-progress");
    bar.value = state.percent;
    bar.textContent = `${state.percent}%`;
    byId("parse-stage").textContent =
      state.done === "failed" ? `Parsing failed: ${state.error ?? "unknown error"}` : `${capitalise(state.stage)} — ${state.percent}%`;
    if (state.done === "parsed" || state.stage === "parsed") void this.showParsed(this.watched);
  }

  private async showParsed(target: { resumeId: string; versionId: string }): Promise<void> {
    const version = await this.api.getResumeVersion(target.resumeId, target.versionId);
    if (this.watched?.versionId !== target.versionId) return;
    if (version.status !== "parsed") return;
    this.progress.set(version.id, { percent: 100, stage: "parsed", done: "parsed" });
    byId<HTMLProgressElement>("parse-progress").value = 100;
    byId("parse-stage").textContent = "Parsed — 100%";
    const parsed = (version.parsed ?? {}) as ParsedResume;
    byId("parsed-name").textContent = parsed.basics?.name ?? "—";
    byId("parsed-email").textContent = parsed.basics?.email ?? "—";
    byId("parsed-work").replaceChildren(
      ...(parsed.work ?? []).map((job) =>
        h(
          "li",
          {},
          h("strong", {}, job.position ?? "Role"),
          job.name ? ` at ${job.name}` : "",
          h("span", { class: "hint" }, ` ${job.startDate ?? ""}–${job.endDate ?? "present"}`),
        ),
      ),
    );
    byId("parsed").hidden = false;
  }
}

function versionLabel(version: Schemas["VersionSummary"] | null | undefined): string {
  return version ? `version ${version.number}, ${version.status} (${version.filename})` : "no version";
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
