// The Contacts tab (/contacts): the people of the hunt with their role, company, email, phone,
// LinkedIn, notes and the applications they belong to; a text filter, add, delete after a
// confirmation, and vCard 4.0 files (one contact, or all) saved through the browser's download.
import { ApiError, pages, type ApiClient, type BodyOf, type ResultOf, type operations } from "../../client/index.js";
import { describe, type Board } from "./board.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, h } from "./dom.js";

type Contact = ResultOf<operations["listContacts"]>["items"][number];

/** Save `text` as a file named `name` (a Blob link: the answer needed the bearer token). */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export class ContactsPanel {
  private readonly form = byId<HTMLFormElement>("contact-form");
  private filterTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly board: Board,
    private readonly flash: (message: string) => void,
  ) {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.add();
    });
    byId("contact-filter").addEventListener("input", () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => void this.refresh(), 250);
    });
    byId("contacts-export").addEventListener("click", () => void this.exportAll());
    board.loaded.push(() => this.fillApplications());
  }

  async refresh(): Promise<void> {
    const q = byId<HTMLInputElement>("contact-filter").value.trim() || undefined;
    const found: Contact[] = [];
    for await (const contact of pages((cursor) => this.api.listContacts({ q, cursor, limit: 100 }))) found.push(contact);
    byId("contact-list").replaceChildren(
      ...found.map((contact) => this.row(contact)),
      ...(found.length ? [] : [h("li", { class: "hint" }, q ? "No contact matches." : "No contacts yet.")]),
    );
  }

  private fillApplications(): void {
    byId("contact-applications").replaceChildren(
      ...this.board.applications.map((item) => h("option", { value: item.id }, `${item.company}, ${item.role}`)),
    );
  }

  private row(contact: Contact): HTMLElement {
    const names = new Map(this.board.applications.map((item) => [item.id, `${item.company}, ${item.role}`]));
    const linked = contact.application_ids.map((id) => names.get(id)).filter(Boolean);
    const details = [contact.role, contact.company].filter(Boolean).join(" at ");
    return h(
      "li",
      { "data-contact": contact.id },
      h("strong", {}, contact.name),
      details ? ` · ${details}` : "",
      contact.email ? h("span", {}, " · ", h("a", { href: `mailto:${contact.email}` }, contact.email)) : null,
      contact.phone ? ` · ${contact.phone}` : "",
      contact.linkedin_url ? h("span", {}, " · ", h("a", { href: contact.linkedin_url, target: "_blank", rel: "noopener noreferrer" }, "LinkedIn")) : null,
      linked.length ? h("p", { class: "hint" }, `For ${linked.join("; ")}`) : null,
      contact.notes ? h("p", { class: "hint" }, contact.notes) : null,
      h("button", { type: "button", class: "secondary", onclick: () => void this.vcard(contact) }, "vCard"),
      h("button", { type: "button", class: "secondary", onclick: () => void this.remove(contact) }, "Delete"),
    );
  }

  private async add(): Promise<void> {
    const errors = byId("contact-errors");
    errors.textContent = "";
    const chosen = [...byId<HTMLSelectElement>("contact-applications").selectedOptions].map((option) => option.value);
    const body: BodyOf<operations["createContact"]> = {
      name: formValue(this.form, "name").trim(),
      role: formValue(this.form, "role"),
      company: formValue(this.form, "company"),
      email: formValue(this.form, "email").trim(),
      phone: formValue(this.form, "phone").trim(),
      linkedin_url: formValue(this.form, "linkedin_url").trim(),
      notes: formValue(this.form, "notes"),
      application_ids: chosen,
    };
    if (!body.name) {
      errors.textContent = "Give the contact a name.";
      byId("contact-name").focus();
      return;
    }
    try {
      await this.api.createContact(body);
      this.form.reset();
      await this.refresh();
      byId("contact-name").focus();
    } catch (error) {
      errors.textContent = describe(error);
      const first = error instanceof ApiError ? Object.keys(error.fieldErrors)[0] : undefined;
      if (first) this.form.querySelector<HTMLElement>(`[name="${first.split(".")[0]}"]`)?.focus();
    }
  }

  private async vcard(contact: Contact): Promise<void> {
    try {
      const name = contact.name.replace(/[^\p{L}\p{N} ._-]+/gu, "").trim() || "contact";
      download(`${name}.vcf`, "text/vcard", await this.api.getContactVcard(contact.id));
    } catch (error) {
      this.flash(describe(error));
    }
  }

  private async exportAll(): Promise<void> {
    try {
      download("contacts.vcf", "text/vcard", await this.api.exportContactsVcard());
    } catch (error) {
      this.flash(describe(error));
    }
  }

  private async remove(contact: Contact): Promise<void> {
    if (!(await confirmAction(`Delete ${contact.name}?`, "The contact and its links to applications are deleted.", "Delete the contact"))) return;
    try {
      await this.api.deleteContact(contact.id);
      await this.refresh();
    } catch (error) {
      this.flash(describe(error));
    }
  }
}
