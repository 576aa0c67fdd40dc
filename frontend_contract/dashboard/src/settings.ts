// Notification settings (GET/PUT /me/notification-settings): the bell on/off, which emails to send,
// how long before a follow-up date to remind, the IANA time zone of the times in emails, and after how
// many days without an answer an application is suggested as ghosted. A 422's
// field errors are shown next to the Save button and the first wrong field gets the focus.
import { ApiError, type ApiClient, type BodyOf, type operations } from "../../client/index.js";
import { describe } from "./board.js";
import { byId, formValue, h } from "./dom.js";

type NotificationSettings = BodyOf<operations["putNotificationSettings"]>;
const CHECKBOXES = ["in_app", "email_follow_up_reminders", "email_status_changes", "email_interview_reminders"] as const;

export class SettingsPanel {
  private readonly form = byId<HTMLFormElement>("settings-form");
  /** The settings last loaded: those this form does not show are sent back as they are. */
  private current: NotificationSettings = {};
  /** The user changed a field since the form was last filled: a late load must not undo it. */
  private edited = false;

  constructor(private readonly api: ApiClient) {
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    byId("settings-zones").replaceChildren(...zones.map((zone) => h("option", { value: zone })));
    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const useBrowser = byId<HTMLButtonElement>("settings-browser-zone");
    useBrowser.textContent = `Use this browser's zone (${browserZone})`;
    useBrowser.addEventListener("click", () => {
      this.input("time_zone").value = browserZone;
      this.input("time_zone").focus();
    });
    this.input("reminder_lead_minutes").addEventListener("input", () => this.describeLead());
    this.form.addEventListener("input", () => (this.edited = true));
    this.form.addEventListener("change", () => (this.edited = true));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save();
    });
  }

  /** Load the stored settings into the form, unless the user is editing it (then only `current`). */
  async refresh(): Promise<void> {
    const stored = await this.api.getNotificationSettings();
    if (this.edited) this.current = stored;
    else this.show(stored);
  }

  private show(settings: NotificationSettings): void {
    this.current = settings;
    for (const name of CHECKBOXES) this.input(name).checked = settings[name] ?? false;
    this.input("reminder_lead_minutes").value = String(settings.reminder_lead_minutes ?? 0);
    this.input("time_zone").value = settings.time_zone ?? "UTC";
    this.input("ghosted_after_days").value = String(settings.ghosted_after_days ?? 21);
    this.input("interview_reminder_minutes").value = (settings.interview_reminder_minutes ?? [1440, 60]).join(", ");
    this.describeLead();
  }

  private async save(): Promise<void> {
    const status = byId("settings-status");
    const errors = byId("settings-errors");
    errors.textContent = "";
    const lead = formValue(this.form, "reminder_lead_minutes");
    const ghosted = formValue(this.form, "ghosted_after_days");
    const body: NotificationSettings = {
      ...this.current,
      in_app: this.input("in_app").checked,
      email_follow_up_reminders: this.input("email_follow_up_reminders").checked,
      email_status_changes: this.input("email_status_changes").checked,
      reminder_lead_minutes: lead === "" ? 0 : Number(lead),
      time_zone: formValue(this.form, "time_zone"),
      ghosted_after_days: ghosted === "" ? 21 : Number(ghosted),
      email_interview_reminders: this.input("email_interview_reminders").checked,
      interview_reminder_minutes: formValue(this.form, "interview_reminder_minutes")
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean)
        .map(Number),
    };
    try {
      this.edited = false;
      this.show(await this.api.putNotificationSettings(body));
      status.textContent = "Saved.";
    } catch (error) {
      status.textContent = "";
      errors.textContent = describe(error);
      const first = error instanceof ApiError ? Object.keys(error.fieldErrors)[0] : undefined;
      if (first) this.form.querySelector<HTMLElement>(`[name="${first.split(".").pop() ?? first}"]`)?.focus();
    }
  }

  /** "= 1 day 2 hours" next to the minutes. */
  private describeLead(): void {
    const minutes = Number(this.input("reminder_lead_minutes").value);
    byId("settings-lead-text").textContent = Number.isFinite(minutes) && minutes > 0 ? `= ${duration(minutes)} before` : "= at the follow-up time";
  }

  private input(name: string): HTMLInputElement {
    const element = this.form.elements.namedItem(name);
    if (!(element instanceof HTMLInputElement)) throw new Error(`settings field ${name} is missing`);
    return element;
  }
}

function duration(minutes: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [
    [1440, "day"],
    [60, "hour"],
    [1, "minute"],
  ];
  let rest = Math.round(minutes);
  for (const [size, name] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count) parts.push(`${count} ${name}${count === 1 ? "" : "s"}`);
  }
  return parts.join(" ");
}
