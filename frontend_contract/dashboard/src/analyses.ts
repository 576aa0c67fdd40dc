// Analyses: score a resume version against an application's job description. POST answers 202 with
// a queued analysis; `analysis.completed` (or `.failed`) says it is done: then GET it and show the
// score, matched and missing keywords, checks and suggestions. The event may beat the POST's answer,
// so finished ids are remembered.
import type { ApiClient, Realtime, Schemas } from "../../client/index.js";
import { describe } from "./board.js";
import { fillApplications, fillVersions } from "./choices.js";
import { byId, formValue, h } from "./dom.js";

type Analysis = Schemas["AnalysisOut"];

export class AnalysesPanel {
  private readonly finished = new Set<string>();
  private watching: string | null = null;
  private readonly application = byId<HTMLSelectElement>("analysis-application");

  constructor(
    private readonly api: ApiClient,
    live: Realtime,
    private readonly flash: (message: string) => void,
  ) {
    const done = (id: string): void => {
      this.finished.add(id);
      if (id === this.watching) void this.load(id);
    };
    live.on("analysis.completed", ({ data }) => done(data.analysis_id));
    live.on("analysis.failed", ({ data }) => done(data.analysis_id));
    byId<HTMLFormElement>("analysis-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run(event.target as HTMLFormElement);
    });
  }

  async refresh(applications: readonly Schemas["ApplicationOut"][]): Promise<void> {
    fillApplications(this.application, applications);
    await fillVersions(this.api, byId<HTMLSelectElement>("analysis-version"), "The application's resume (or the newest parsed)");
  }

  /** After a `sync.reset` (the completion event may be lost): refetch the analysis shown. */
  async reload(): Promise<void> {
    if (this.watching) await this.load(this.watching);
  }

  choose(applicationId: string): void {
    this.application.value = applicationId;
  }

  private async run(form: HTMLFormElement): Promise<void> {
    const applicationId = formValue(form, "application_id");
    if (!applicationId) return this.flash("Add an application first: it holds the job description.");
    const button = form.querySelector("button");
    button?.setAttribute("disabled", "");
    try {
      const analysis = await this.api.createAnalysis({
        application_id: applicationId,
        resume_version_id: formValue(form, "resume_version_id") || null,
      });
      this.watching = analysis.id;
      this.show(analysis);
      if (this.finished.has(analysis.id)) await this.load(analysis.id);
    } catch (error) {
      this.flash(describe(error));
    } finally {
      button?.removeAttribute("disabled");
    }
  }

  private async load(id: string): Promise<void> {
    try {
      this.show(await this.api.getAnalysis(id));
    } catch (error) {
      this.flash(describe(error));
    }
  }

  private show(analysis: Analysis): void {
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
    const meter = byId<HTMLMeterElement>("analysis-meter");
    meter.value = score;
    meter.textContent = `${score} / 100`;
    const chips = (words: readonly string[], empty: string): Node[] =>
      words.length ? words.map((word) => h("li", {}, word)) : [h("li", { class: "hint" }, empty)];
    byId("analysis-matched").replaceChildren(...chips(analysis.keywords?.matched ?? [], "None"));
    byId("analysis-missing").replaceChildren(...chips(analysis.keywords?.missing ?? [], "None: every keyword is there"));
    byId("analysis-checks").replaceChildren(
      ...analysis.checks.map((check) =>
        h(
          "li",
          { class: check.passed ? "passed" : "failed", "data-id": check.id },
          h("span", { class: check.passed ? "ok" : "bad" }, check.passed ? "✓ Passed: " : "✗ To fix: "),
          h("strong", {}, check.label),
          check.detail ? ` — ${check.detail}` : "",
        ),
      ),
    );
    byId("analysis-suggestions").replaceChildren(...analysis.suggestions.map((text) => h("li", {}, text)));
    byId("analysis-narrative").textContent = analysis.narrative ?? "";
    result.hidden = false;
  }
}
