// Typed REST calls: one method per operation, each typed by the generated `operations[<operationId>]`.
// Add a method here when the dashboard needs another operation (types/api.d.ts lists them all).
import { Http, type BodyOf, type HttpOptions, type QueryOf, type ResultOf, type operations } from "./http.js";

type Op = operations;
const V1 = "/api/v1";

/** Parsed resume data, JSON Resume v1 field names (docs/product.md). OpenAPI types it as an open object. */
export interface ParsedResume {
  basics?: { name?: string; label?: string; email?: string; phone?: string; url?: string; summary?: string };
  work?: { name?: string; position?: string; location?: string; startDate?: string; endDate?: string | null }[];
  education?: { institution?: string; area?: string; studyType?: string; startDate?: string; endDate?: string }[];
  skills?: { name?: string; keywords?: string[] }[];
}

export type ApplicationStatus = BodyOf<Op["createApplication"]>["status"] & string;

/** A random `Idempotency-Key`: reuse the same one when retrying the same create. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

export class ApiClient {
  readonly http: Http;

  constructor(options: HttpOptions = {}) {
    this.http = new Http(options);
  }

  get signedIn(): boolean {
    return this.http.tokens.get() !== null;
  }

  // -- auth ----------------------------------------------------------------------------------------
  register(body: BodyOf<Op["registerUser"]>): Promise<ResultOf<Op["registerUser"]>> {
    return this.http.request("POST", `${V1}/auth/register`, { json: body, auth: false });
  }

  /** Sign in: stores the tokens (with `refreshCookie`, the api keeps the refresh token in its cookie). */
  async login(body: BodyOf<Op["login"]>): Promise<ResultOf<Op["login"]>> {
    const tokens = await this.http.request<ResultOf<Op["login"]>>("POST", `${V1}/auth/login`, {
      json: body,
      auth: false,
      headers: this.http.cookieHeaders(),
    });
    this.http.tokens.set(tokens);
    return tokens;
  }

  /** A page load with `refreshCookie`: resume the browser's session from the api's cookie, if it has one. */
  resume(): Promise<boolean> {
    return this.http.refreshCookie ? this.http.refresh() : Promise.resolve(this.signedIn);
  }

  /** Sign out: ends the session on the server (best effort) and forgets the tokens (and the cookie). */
  async logout(): Promise<void> {
    const tokens = this.http.tokens.get();
    this.http.tokens.set(null);
    if (!tokens && !this.http.refreshCookie) return;
    const body: BodyOf<Op["logout"]> = this.http.refreshCookie ? {} : { refresh_token: tokens?.refresh_token };
    const headers = this.http.cookieHeaders();
    await this.http.request("POST", `${V1}/auth/logout`, { json: body, auth: false, headers }).catch(() => undefined);
  }

  /** The link of the verification email (`/verify-email?token=…`): 204 when the address is confirmed. */
  verifyEmail(body: BodyOf<Op["verifyEmail"]>): Promise<void> {
    return this.http.request("POST", `${V1}/auth/verify-email`, { json: body, auth: false });
  }

  /** A new verification email: 202 whether or not the account exists or is verified (at most 3 an hour). */
  resendVerificationEmail(body: BodyOf<Op["resendVerificationEmail"]>): Promise<void> {
    return this.http.request("POST", `${V1}/auth/verify-email/resend`, { json: body, auth: false });
  }

  /** "Forgot password": 202 whether or not the account exists (no enumeration). */
  requestPasswordReset(body: BodyOf<Op["requestPasswordReset"]>): Promise<void> {
    return this.http.request("POST", `${V1}/auth/password-reset`, { json: body, auth: false });
  }

  /** The link of the reset email (`/reset-password?token=…`) with the new password: 204, every session ended. */
  confirmPasswordReset(body: BodyOf<Op["confirmPasswordReset"]>): Promise<void> {
    return this.http.request("POST", `${V1}/auth/password-reset/confirm`, { json: body, auth: false });
  }

  getMe(): Promise<ResultOf<Op["getMe"]>> {
    return this.http.request("GET", `${V1}/me`);
  }

  /** In-app and email notifications on/off, the reminder lead time and the IANA zone of emailed times. */
  getNotificationSettings(): Promise<ResultOf<Op["getNotificationSettings"]>> {
    return this.http.request("GET", `${V1}/me/notification-settings`);
  }

  /** Replace the settings (422 with field errors for an unknown `time_zone` or a lead time out of range). */
  putNotificationSettings(
    body: BodyOf<Op["putNotificationSettings"]>,
  ): Promise<ResultOf<Op["putNotificationSettings"]>> {
    return this.http.request("PUT", `${V1}/me/notification-settings`, { json: body });
  }

  // -- realtime ------------------------------------------------------------------------------------
  createRealtimeTicket(): Promise<ResultOf<Op["createRealtimeTicket"]>> {
    return this.http.request("POST", `${V1}/realtime/tickets`);
  }

  // -- resumes -------------------------------------------------------------------------------------
  uploadResume(file: Blob, filename: string, title?: string): Promise<ResultOf<Op["uploadResume"]>> {
    const form = new FormData();
    form.set("file", file, filename);
    if (title) form.set("title", title);
    return this.http.request("POST", `${V1}/resumes`, { form });
  }

  listResumes(): Promise<ResultOf<Op["listResumes"]>> {
    return this.http.request("GET", `${V1}/resumes`);
  }

  listResumeVersions(resumeId: string): Promise<ResultOf<Op["listResumeVersions"]>> {
    return this.http.request("GET", `${V1}/resumes/${resumeId}/versions`);
  }

  uploadResumeVersion(resumeId: string, file: Blob, filename: string): Promise<ResultOf<Op["uploadResumeVersion"]>> {
    const form = new FormData();
    form.set("file", file, filename);
    return this.http.request("POST", `${V1}/resumes/${resumeId}/versions`, { form });
  }

  /** Delete a resume with every version and stored file. */
  deleteResume(resumeId: string): Promise<void> {
    return this.http.request("DELETE", `${V1}/resumes/${resumeId}`);
  }

  getResumeVersion(resumeId: string, versionId: string): Promise<ResultOf<Op["getResumeVersion"]>> {
    return this.http.request("GET", `${V1}/resumes/${resumeId}/versions/${versionId}`);
  }

  // -- applications --------------------------------------------------------------------------------
  listApplications(query: QueryOf<Op["listApplications"]> = {}): Promise<ResultOf<Op["listApplications"]>> {
    return this.http.request("GET", `${V1}/applications`, { query });
  }

  createApplication(
    body: BodyOf<Op["createApplication"]>,
    key: string = idempotencyKey(),
  ): Promise<ResultOf<Op["createApplication"]>> {
    return this.http.request("POST", `${V1}/applications`, { json: body, headers: { "Idempotency-Key": key } });
  }

  /** Create an application from a job posting's URL (or, with `html`, the page as the browser shows it).
   * A page that cannot be read throws an `ApiError` whose problem carries the `url` back. */
  importApplicationFromUrl(
    body: BodyOf<Op["importApplicationFromUrl"]>,
    key: string = idempotencyKey(),
  ): Promise<ResultOf<Op["importApplicationFromUrl"]>> {
    return this.http.request("POST", `${V1}/applications/import-url`, {
      json: body,
      headers: { "Idempotency-Key": key },
    });
  }

  /** The posting's page as it was imported (HTML, to show in a sandboxed frame only: never run its scripts). */
  getApplicationSnapshot(id: string): Promise<string> {
    return this.http.text(`${V1}/applications/${id}/snapshot`);
  }

  getApplication(id: string): Promise<ResultOf<Op["getApplication"]>> {
    return this.http.request("GET", `${V1}/applications/${id}`);
  }

  updateApplication(id: string, body: BodyOf<Op["updateApplication"]>): Promise<ResultOf<Op["updateApplication"]>> {
    return this.http.request("PATCH", `${V1}/applications/${id}`, { json: body });
  }

  deleteApplication(id: string): Promise<void> {
    return this.http.request("DELETE", `${V1}/applications/${id}`);
  }

  listApplicationEvents(id: string): Promise<ResultOf<Op["listApplicationEvents"]>> {
    return this.http.request("GET", `${V1}/applications/${id}/events`);
  }

  applicationStats(): Promise<ResultOf<Op["applicationStats"]>> {
    return this.http.request("GET", `${V1}/applications/stats`);
  }

  /** Outcomes of the applications started from `from` to `to` (YYYY-MM-DD, both optional). */
  applicationAnalytics(query: QueryOf<Op["applicationAnalytics"]> = {}): Promise<ResultOf<Op["applicationAnalytics"]>> {
    return this.http.request("GET", `${V1}/applications/analytics`, { query });
  }

  /** The answer to a `ghosting_suggested` notification: no answer came, the application becomes `ghosted`. */
  confirmGhosting(id: string): Promise<ResultOf<Op["confirmGhosting"]>> {
    return this.http.request("POST", `${V1}/applications/${id}/ghosting/confirm`);
  }

  /** Keep waiting: the application is not suggested as ghosted again until it is re-applied. */
  dismissGhosting(id: string): Promise<ResultOf<Op["dismissGhosting"]>> {
    return this.http.request("POST", `${V1}/applications/${id}/ghosting/dismiss`);
  }

  // -- interviews of an application ----------------------------------------------------------------
  listInterviews(applicationId: string): Promise<ResultOf<Op["listInterviews"]>> {
    return this.http.request("GET", `${V1}/applications/${applicationId}/interviews`);
  }

  createInterview(
    applicationId: string,
    body: BodyOf<Op["createInterview"]>,
    key: string = idempotencyKey(),
  ): Promise<ResultOf<Op["createInterview"]>> {
    return this.http.request("POST", `${V1}/applications/${applicationId}/interviews`, {
      json: body,
      headers: { "Idempotency-Key": key },
    });
  }

  updateInterview(
    applicationId: string,
    id: string,
    body: BodyOf<Op["updateInterview"]>,
  ): Promise<ResultOf<Op["updateInterview"]>> {
    return this.http.request("PATCH", `${V1}/applications/${applicationId}/interviews/${id}`, { json: body });
  }

  deleteInterview(applicationId: string, id: string): Promise<void> {
    return this.http.request("DELETE", `${V1}/applications/${applicationId}/interviews/${id}`);
  }

  // -- contacts ------------------------------------------------------------------------------------
  listContacts(query: QueryOf<Op["listContacts"]> = {}): Promise<ResultOf<Op["listContacts"]>> {
    return this.http.request("GET", `${V1}/contacts`, { query });
  }

  createContact(body: BodyOf<Op["createContact"]>, key: string = idempotencyKey()): Promise<ResultOf<Op["createContact"]>> {
    return this.http.request("POST", `${V1}/contacts`, { json: body, headers: { "Idempotency-Key": key } });
  }

  deleteContact(id: string): Promise<void> {
    return this.http.request("DELETE", `${V1}/contacts/${id}`);
  }

  /** One contact as a vCard 4.0 (`text/vcard`). */
  getContactVcard(id: string): Promise<string> {
    return this.http.text(`${V1}/contacts/${id}/vcard`);
  }

  /** Every contact as one vCard file. */
  exportContactsVcard(): Promise<string> {
    return this.http.text(`${V1}/contacts/export.vcf`);
  }

  // -- the calendar feed (an iCalendar URL for calendar apps) --------------------------------------
  getCalendarFeed(): Promise<ResultOf<Op["getCalendarFeed"]>> {
    return this.http.request("GET", `${V1}/me/calendar-feed`);
  }

  /** A new private feed URL; the previous one stops working. */
  createCalendarFeed(): Promise<ResultOf<Op["createCalendarFeed"]>> {
    return this.http.request("POST", `${V1}/me/calendar-feed`);
  }

  deleteCalendarFeed(): Promise<void> {
    return this.http.request("DELETE", `${V1}/me/calendar-feed`);
  }

  // -- personal access tokens (integrations, the browser extension) --------------------------------
  listPersonalAccessTokens(): Promise<ResultOf<Op["listPersonalAccessTokens"]>> {
    return this.http.request("GET", `${V1}/me/tokens`);
  }

  createPersonalAccessToken(
    body: BodyOf<Op["createPersonalAccessToken"]>,
    key: string = idempotencyKey(),
  ): Promise<ResultOf<Op["createPersonalAccessToken"]>> {
    return this.http.request("POST", `${V1}/me/tokens`, { json: body, headers: { "Idempotency-Key": key } });
  }

  revokePersonalAccessToken(id: string): Promise<void> {
    return this.http.request("DELETE", `${V1}/me/tokens/${id}`);
  }

  // -- cover letters (streamed as `cover_letter.delta` events) -------------------------------------
  createCoverLetter(
    body: BodyOf<Op["createCoverLetter"]>,
    key: string = idempotencyKey(),
  ): Promise<ResultOf<Op["createCoverLetter"]>> {
    return this.http.request("POST", `${V1}/cover-letters`, { json: body, headers: { "Idempotency-Key": key } });
  }

  listCoverLetters(query: QueryOf<Op["listCoverLetters"]> = {}): Promise<ResultOf<Op["listCoverLetters"]>> {
    return this.http.request("GET", `${V1}/cover-letters`, { query });
  }

  getCoverLetter(id: string): Promise<ResultOf<Op["getCoverLetter"]>> {
    return this.http.request("GET", `${V1}/cover-letters/${id}`);
  }

  updateCoverLetter(id: string, body: BodyOf<Op["updateCoverLetter"]>): Promise<ResultOf<Op["updateCoverLetter"]>> {
    return this.http.request("PATCH", `${V1}/cover-letters/${id}`, { json: body });
  }

  cancelCoverLetter(id: string): Promise<ResultOf<Op["cancelCoverLetter"]>> {
    return this.http.request("POST", `${V1}/cover-letters/${id}/cancel`);
  }

  deleteCoverLetter(id: string): Promise<void> {
    return this.http.request("DELETE", `${V1}/cover-letters/${id}`);
  }

  // -- analyses (`analysis.completed` / `analysis.failed` when done) -------------------------------
  createAnalysis(
    body: BodyOf<Op["createAnalysis"]>,
    key: string = idempotencyKey(),
  ): Promise<ResultOf<Op["createAnalysis"]>> {
    return this.http.request("POST", `${V1}/analyses`, { json: body, headers: { "Idempotency-Key": key } });
  }

  getAnalysis(id: string): Promise<ResultOf<Op["getAnalysis"]>> {
    return this.http.request("GET", `${V1}/analyses/${id}`);
  }

  // -- notifications (`notification.created` live) -------------------------------------------------
  listNotifications(query: QueryOf<Op["listNotifications"]> = {}): Promise<ResultOf<Op["listNotifications"]>> {
    return this.http.request("GET", `${V1}/notifications`, { query });
  }

  markNotificationRead(id: string): Promise<ResultOf<Op["markNotificationRead"]>> {
    return this.http.request("POST", `${V1}/notifications/${id}/read`);
  }

  markAllNotificationsRead(): Promise<ResultOf<Op["markAllNotificationsRead"]>> {
    return this.http.request("POST", `${V1}/notifications/read-all`);
  }
}

/** Every page of a cursor-paginated list (`{items, next_cursor}`), in order. */
export async function* pages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}
