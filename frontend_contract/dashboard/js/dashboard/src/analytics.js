// Outcome analytics (GET /applications/analytics): a period filter, the Sankey diagram of the moves
// between statuses (with the same moves as a table), the funnel applied → responded → interviewed →
// offered with its rates, and the funnel by resume version, source, match band and week. A group with
// fewer than 5 applied applications (`small_sample`) is marked "small sample, n=…" and muted: its
// rates are anecdotes. Loaded when the tab is opened, and again on `application.changed` while the
// tab is shown.
import { ApiError } from "../../client/index.js";
import { describe } from "./board.js";
import { byId, formValue, h } from "./dom.js";
import { layoutSankey, renderSankey, statusLabel } from "./sankey.js";
/** A rate (0–1, or null when nothing to divide by) as a whole percentage. */
export function percent(rate) {
    return rate === null ? "—" : `${Math.round(rate * 100)}%`;
}
const BANDS = {
    "0-49": "Match 0–49",
    "50-69": "Match 50–69",
    "70-84": "Match 70–84",
    "85-100": "Match 85–100",
    none: "Not analysed",
};
const GROUPS = [
    {
        id: "resume-version",
        title: "By resume version",
        heading: "Resume version",
        rows: (answer) => answer.by_resume_version.map((row) => ({ label: row.label, funnel: row })),
    },
    {
        id: "source",
        title: "By source",
        heading: "Source",
        rows: (answer) => answer.by_source.map((row) => ({ label: row.source || "(none)", funnel: row })),
    },
    {
        id: "match-band",
        title: "By match score",
        heading: "Best analysis score",
        rows: (answer) => answer.by_match_band.map((row) => ({ label: BANDS[row.band], funnel: row })),
    },
    {
        id: "week",
        title: "By week applied",
        heading: "ISO week",
        rows: (answer) => answer.by_week.map((row) => ({ label: row.week, funnel: row })),
    },
];
export class AnalyticsPanel {
    api;
    panel = byId("panel-analytics");
    form = byId("analytics-filter");
    reloading = null;
    again = false;
    constructor(api, live) {
        this.api = api;
        live.on("application.changed", () => this.refreshIfShown());
        this.form.addEventListener("submit", (event) => {
            event.preventDefault();
            void this.refresh();
        });
        byId("analytics-clear").addEventListener("click", () => {
            this.form.reset();
            void this.refresh();
        });
        byId("analytics-groups").replaceChildren(...GROUPS.map((group) => groupSection(group)));
    }
    /** Signed out: nothing of the last user stays in the page (the next one starts from "All time"). */
    clear() {
        this.form.reset();
        byId("analytics-body").hidden = true;
        byId("analytics-empty").hidden = true;
        byId("analytics-sankey").replaceChildren();
        for (const id of ["analytics-status", "analytics-errors"])
            byId(id).textContent = "";
    }
    /** Reload when the panel is on screen (a live change, a reconnection); a hidden panel is reloaded
     * when its tab is opened. */
    refreshIfShown() {
        if (!this.panel.hidden)
            void this.refresh();
    }
    /** Load and draw; calls that arrive during a load fold into one more load. */
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
        const errors = byId("analytics-errors");
        const from = formValue(this.form, "from");
        const to = formValue(this.form, "to");
        this.panel.setAttribute("aria-busy", "true");
        try {
            const answer = await this.api.applicationAnalytics({ from: from || undefined, to: to || undefined });
            errors.textContent = "";
            this.draw(answer);
        }
        catch (error) {
            errors.textContent = describe(error);
            const field = error instanceof ApiError ? Object.keys(error.fieldErrors)[0] : undefined;
            if (field)
                this.form.querySelector(`[name="${field.split(".").pop() ?? field}"]`)?.focus();
        }
        finally {
            this.panel.removeAttribute("aria-busy");
        }
    }
    draw(answer) {
        byId("analytics-zone").textContent = answer.time_zone;
        const period = answer.from && answer.to
            ? `from ${answer.from} to ${answer.to}`
            : answer.from
                ? `from ${answer.from} on`
                : answer.to
                    ? `up to ${answer.to}`
                    : "of all time";
        const empty = answer.flow.nodes.length === 0;
        byId("analytics-status").textContent = empty
            ? ""
            : `Applications ${period}: ${answer.overall.applied} applied.`;
        byId("analytics-empty").hidden = !empty;
        byId("analytics-empty-text").textContent =
            answer.from || answer.to
                ? `No application started ${period}. Choose other days, or "All time".`
                : "No applications yet. Add them on the Applications tab (or import a CSV): how they turn out shows here.";
        byId("analytics-body").hidden = empty;
        if (empty)
            return;
        this.drawFlow(answer);
        this.drawFunnel(answer.overall);
        for (const group of GROUPS)
            drawGroup(group, group.rows(answer));
    }
    drawFlow(answer) {
        const layout = layoutSankey(answer.flow);
        byId("analytics-sankey").replaceChildren(renderSankey(layout, "analytics-sankey"));
        const back = layout.back.map((link) => `${statusLabel(link.source)} → ${statusLabel(link.target)} (${link.applications})`);
        const note = byId("analytics-back");
        note.hidden = back.length === 0;
        note.textContent = back.length
            ? `Moved back, not drawn (a Sankey diagram has no loops), listed in the table: ${back.join(", ")}.`
            : "";
        byId("analytics-links").replaceChildren(...answer.flow.links.map((link) => {
            const drawn = !layout.back.includes(link);
            return h("tr", { "data-source": link.source, "data-target": link.target, class: drawn ? null : "back" }, h("td", {}, statusLabel(link.source)), h("td", {}, statusLabel(link.target)), h("td", { class: "num" }, String(link.applications)), h("td", {}, drawn ? "forward" : "back (not drawn)"));
        }));
    }
    drawFunnel(overall) {
        const stages = [
            { stage: "applied", label: "Applied", count: overall.applied, rate: "" },
            { stage: "responded", label: "Responded", count: overall.responded, rate: `${percent(overall.response_rate)} of applied` },
            {
                stage: "interviewed",
                label: "Interviewed",
                count: overall.interviewed,
                rate: `${percent(overall.interview_rate)} of applied · ${percent(overall.interviews_per_response)} of responses`,
            },
            {
                stage: "offered",
                label: "Offered",
                count: overall.offered,
                rate: `${percent(overall.offer_rate)} of applied · ${percent(overall.offers_per_interview)} of interviews`,
            },
        ];
        const most = Math.max(1, overall.applied);
        byId("analytics-funnel").replaceChildren(...stages.map(({ stage, label, count, rate }) => {
            const bar = h("span", { class: "bar", "aria-hidden": "true" });
            bar.style.width = `${(100 * count) / most}%`; // the CSSOM: a style="" attribute breaks the page's CSP
            return h("li", { "data-stage": stage }, h("span", { class: "stage" }, label), h("span", { class: "track" }, bar), h("span", { class: "n" }, String(count)), h("span", { class: "rate" }, rate));
        }));
        const note = byId("analytics-funnel-note");
        note.hidden = !overall.small_sample;
        note.textContent = overall.small_sample ? `Small sample, n=${overall.applied}: these rates are anecdotes, not evidence yet.` : "";
    }
}
function groupSection(group) {
    const titleId = `analytics-${group.id}-title`;
    const columns = [group.heading, "Applied", "Responded", "Interviewed", "Offered", "Response rate", "Interview rate", "Offer rate"];
    return h("section", { class: "card", "aria-labelledby": titleId }, h("h2", { id: titleId }, group.title), h("div", { class: "table-scroll" }, h("table", { class: "analytics-table", id: `analytics-by-${group.id}` }, h("thead", {}, h("tr", {}, ...columns.map((name) => h("th", { scope: "col" }, name)))), h("tbody", {}))));
}
function drawGroup(group, rows) {
    const body = byId(`analytics-by-${group.id}`).querySelector("tbody");
    if (!body)
        return;
    body.replaceChildren(...rows.map(({ label, funnel }) => h("tr", { class: funnel.small_sample ? "small-sample" : null, "data-small-sample": String(funnel.small_sample) }, h("th", { scope: "row" }, label, funnel.small_sample ? h("span", { class: "sample" }, `small sample, n=${funnel.applied}`) : null), h("td", { class: "num" }, String(funnel.applied)), h("td", { class: "num" }, String(funnel.responded)), h("td", { class: "num" }, String(funnel.interviewed)), h("td", { class: "num" }, String(funnel.offered)), h("td", { class: "num" }, percent(funnel.response_rate)), h("td", { class: "num" }, percent(funnel.interview_rate)), h("td", { class: "num" }, percent(funnel.offer_rate)))));
    if (!rows.length) {
        body.append(h("tr", {}, h("td", { colspan: 8, class: "hint" }, "No applied application in the period.")));
    }
}
