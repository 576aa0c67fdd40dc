// The calendar feed card (GET/POST/DELETE /me/calendar-feed): a private iCalendar link of the user's
// interviews and follow-up dates for calendar apps. The link is shown once, when made; a new one
// revokes the old one, and the feed can be turned off.
import type { ApiClient } from "../../client/index.js";
import { describe } from "./board.js";
import { confirmAction } from "./confirm.js";
import { byId, formatDate } from "./dom.js";

export class CalendarFeedCard {
  constructor(private readonly api: ApiClient) {
    byId("calendar-feed-create").addEventListener("click", () => void this.create());
    byId("calendar-feed-off").addEventListener("click", () => void this.turnOff());
    byId("calendar-feed-copy").addEventListener("click", () => {
      const url = byId<HTMLInputElement>("calendar-feed-url");
      url.select();
      void navigator.clipboard?.writeText(url.value).catch(() => undefined);
    });
  }

  async refresh(): Promise<void> {
    const feed = await this.api.getCalendarFeed();
    byId("calendar-feed-link").hidden = true;
    this.show(feed.enabled, feed.created_at ?? null, feed.last_used_at ?? null);
  }

  private show(enabled: boolean, created: string | null, used: string | null): void {
    byId("calendar-feed-state").textContent = enabled
      ? `On since ${formatDate(created)}; ${used ? `last read by a calendar ${formatDate(used)}` : "no calendar has read it yet"}.`
      : "Off: no calendar can read your interviews.";
    byId("calendar-feed-create").textContent = enabled ? "Make a new link (the old one stops working)" : "Create the calendar link";
    byId("calendar-feed-off").hidden = !enabled;
  }

  private async create(): Promise<void> {
    byId("calendar-feed-errors").textContent = "";
    const enabled = !byId("calendar-feed-off").hidden;
    if (enabled && !(await confirmAction("Make a new calendar link?", "Calendars subscribed to the old link stop updating.", "Make a new link"))) return;
    try {
      const made = await this.api.createCalendarFeed();
      const url = byId<HTMLInputElement>("calendar-feed-url");
      url.value = made.url;
      byId("calendar-feed-link").hidden = false;
      this.show(true, made.created_at, null);
      url.select();
    } catch (error) {
      byId("calendar-feed-errors").textContent = describe(error);
    }
  }

  private async turnOff(): Promise<void> {
    if (!(await confirmAction("Turn the calendar feed off?", "Calendars subscribed to it stop updating.", "Turn it off"))) return;
    try {
      await this.api.deleteCalendarFeed();
      await this.refresh();
    } catch (error) {
      byId("calendar-feed-errors").textContent = describe(error);
    }
  }
}
