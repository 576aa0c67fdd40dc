// The notification bell: unread count, the newest notifications, mark one or all read. New ones
// arrive live as `notification.created`; when the tab is hidden, a browser Notification too (the
// permission is asked only when the user clicks "Enable browser notifications", as browsers require).
import type { ApiClient, Realtime, Schemas } from "../../client/index.js";
import { describe } from "./board.js";
import { byId, formatDate, h } from "./dom.js";

type Note = Schemas["NotificationOut"];

export class Bell {
  private items: Note[] = [];
  private unread = 0;
  /** Per refresh in flight, the notes that arrived live meanwhile: its page may have been read before them. */
  private readonly arriving = new Set<Note[]>();
  private readonly button = byId<HTMLButtonElement>("bell-button");
  private readonly panel = byId("bell-panel");

  constructor(
    private readonly api: ApiClient,
    live: Realtime,
    private readonly flash: (message: string) => void,
  ) {
    live.on("notification.created", ({ data }) => {
      const note: Note = data.notification; // the event carries what GET /notifications lists
      if (this.items.some((item) => item.id === note.id)) return; // replayed
      for (const arrived of this.arriving) arrived.push(note);
      this.items = [note, ...this.items].slice(0, 50);
      if (!note.read_at) this.unread += 1;
      this.draw();
      this.notifyBrowser(note);
    });
    this.button.addEventListener("click", () => this.toggle());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.panel.hidden) {
        this.toggle(false);
        this.button.focus();
      }
    });
    byId("bell-read-all").addEventListener("click", () => void this.markAllRead());
    byId("bell-permission").addEventListener("click", () => void this.askPermission());
    this.drawPermission();
  }

  async refresh(): Promise<void> {
    const arrived: Note[] = [];
    this.arriving.add(arrived);
    try {
      const page = await this.api.listNotifications({ limit: 20 });
      const missed = arrived.filter((note) => !page.items.some((item) => item.id === note.id));
      this.items = [...missed, ...page.items].slice(0, 50);
      this.unread = page.unread_count + missed.filter((note) => !note.read_at).length;
    } finally {
      this.arriving.delete(arrived);
    }
    this.draw();
  }

  private toggle(open = this.panel.hidden): void {
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
  }

  private draw(): void {
    byId("bell-count").textContent = String(this.unread);
    byId("bell-count").hidden = this.unread === 0;
    this.button.setAttribute("aria-label", `Notifications, ${this.unread} unread`);
    byId<HTMLButtonElement>("bell-read-all").disabled = this.unread === 0;
    const list = byId("bell-list");
    list.replaceChildren(
      ...this.items.map((note) =>
        h(
          "li",
          { class: note.read_at ? "read" : "unread", "data-id": note.id },
          h("strong", {}, note.title),
          note.body ? h("span", {}, note.body) : null,
          h("time", { class: "hint", datetime: note.created_at }, formatDate(note.created_at)),
          note.read_at
            ? h("span", { class: "hint" }, "Read")
            : h("button", { type: "button", class: "link", "aria-label": `Mark "${note.title}" as read`, onclick: () => void this.markRead(note.id) }, "Mark as read"),
          this.ghostingActions(note),
        ),
      ),
    );
    if (!this.items.length) list.append(h("li", { class: "hint" }, "Nothing yet."));
  }

  private async markRead(id: string): Promise<void> {
    try {
      const note = await this.api.markNotificationRead(id);
      const before = this.items.find((item) => item.id === id);
      if (before && !before.read_at) this.unread = Math.max(0, this.unread - 1);
      this.items = this.items.map((item) => (item.id === id ? note : item));
      this.draw();
      byId("bell-button").focus();
    } catch (error) {
      this.flash(describe(error));
    }
  }

  /** A `ghosting_suggested` notification still open: the user decides, nothing changes until then. */
  private ghostingActions(note: Note): HTMLElement | null {
    const applicationId = /^\/applications\/([0-9a-f-]{36})$/.exec(note.link)?.[1];
    if (note.kind !== "ghosting_suggested" || note.read_at || !applicationId) return null;
    const decide = (confirm: boolean) => void this.decideGhosting(applicationId, confirm);
    return h(
      "span",
      { class: "actions" },
      h("button", { type: "button", onclick: () => decide(true) }, "Mark as ghosted"),
      h("button", { type: "button", class: "secondary", onclick: () => decide(false) }, "Keep waiting"),
    );
  }

  private async decideGhosting(applicationId: string, confirm: boolean): Promise<void> {
    try {
      const application = await (confirm ? this.api.confirmGhosting(applicationId) : this.api.dismissGhosting(applicationId));
      this.flash(
        confirm
          ? `${application.company}, ${application.role}: marked as ghosted.`
          : `${application.company}, ${application.role}: still waiting, no more suggestions for it.`,
      );
      await this.refresh(); // the suggestion is read now; the board follows `application.changed`
      byId("bell-button").focus();
    } catch (error) {
      this.flash(describe(error));
    }
  }

  private async markAllRead(): Promise<void> {
    try {
      await this.api.markAllNotificationsRead();
      await this.refresh();
    } catch (error) {
      this.flash(describe(error));
    }
  }

  /** A system notification, only when this tab is not visible (else the bell is enough). */
  private notifyBrowser(note: Note): void {
    if (document.visibilityState !== "hidden" || !("Notification" in window) || Notification.permission !== "granted") return;
    const shown = new Notification(note.title, { body: note.body, tag: note.id });
    shown.onclick = () => {
      window.focus();
      this.toggle(true);
    };
  }

  private async askPermission(): Promise<void> {
    if (!("Notification" in window)) return;
    await Notification.requestPermission();
    this.drawPermission();
  }

  private drawPermission(): void {
    const button = byId("bell-permission");
    const status = byId("bell-permission-status");
    if (!("Notification" in window)) {
      button.hidden = true;
      status.textContent = "This browser has no system notifications.";
      return;
    }
    const permission = Notification.permission;
    button.hidden = permission !== "default";
    status.textContent =
      permission === "granted"
        ? "Browser notifications are on (shown while this tab is in the background)."
        : permission === "denied"
          ? "Browser notifications are blocked in this browser's site settings."
          : "";
  }
}
