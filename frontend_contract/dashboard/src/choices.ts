// Shared pickers: the user's applications and parsed resume versions, as <option>s of a labelled select.
import type { ApiClient, Schemas } from "../../client/index.js";
import { h } from "./dom.js";

type Application = Schemas["ApplicationOut"];

/** Fill `select` with one option per application, keeping the current choice when it still exists. */
export function fillApplications(select: HTMLSelectElement, items: readonly Application[]): void {
  const keep = select.value;
  select.replaceChildren(
    ...(items.length ? [] : [h("option", { value: "" }, "No applications yet: add one on the Applications tab")]),
    ...items.map((item) => h("option", { value: item.id }, `${item.company} — ${item.role}`)),
  );
  if (keep && items.some((item) => item.id === keep)) select.value = keep;
}

/** Fill `select` with every version of every resume (parsed ones choosable), first "the default". */
export async function fillVersions(api: ApiClient, select: HTMLSelectElement, defaultLabel: string): Promise<void> {
  const keep = select.value;
  const resumes = await api.listResumes();
  const groups = await Promise.all(
    resumes.items.map(async (resume) => {
      const versions = await api.listResumeVersions(resume.id);
      return h(
        "optgroup",
        { label: resume.title },
        ...versions.map((version) =>
          h(
            "option",
            { value: version.id, disabled: version.status !== "parsed" },
            `${resume.title} — version ${version.number}${version.status === "parsed" ? "" : ` (${version.status})`}`,
          ),
        ),
      );
    }),
  );
  select.replaceChildren(h("option", { value: "" }, defaultLabel), ...groups);
  if (keep && [...select.options].some((option) => option.value === keep && !option.disabled)) select.value = keep;
}
