// Typed REST calls: one method per operation, each typed by the generated `operations[<operationId>]`.
// Add a method here when the dashboard needs another operation (types/api.d.ts lists them all).
import { Http } from "./http.js";
const V1 = "/api/v1";
/** A random `Idempotency-Key`: reuse the same one when retrying the same create. */
export function idempotencyKey() {
    return crypto.randomUUID();
}
export class ApiClient {
    http;
    constructor(options = {}) {
        this.http = new Http(options);
    }
    get signedIn() {
        return this.http.tokens.get() !== null;
    }
    // -- auth ----------------------------------------------------------------------------------------
    register(body) {
        return this.http.request("POST", `${V1}/auth/register`, { json: body, auth: false });
    }
    /** Sign in: stores the tokens (with `refreshCookie`, the api keeps the refresh token in its cookie). */
    async login(body) {
        const tokens = await this.http.request("POST", `${V1}/auth/login`, {
            json: body,
            auth: false,
            headers: this.http.cookieHeaders(),
        });
        this.http.tokens.set(tokens);
        return tokens;
    }
    /** A page load with `refreshCookie`: resume the browser's session from the api's cookie, if it has one. */
    resume() {
        return this.http.refreshCookie ? this.http.refresh() : Promise.resolve(this.signedIn);
    }
    /** Sign out: ends the session on the server (best effort) and forgets the tokens (and the cookie). */
    async logout() {
        const tokens = this.http.tokens.get();
        this.http.tokens.set(null);
        if (!tokens && !this.http.refreshCookie)
            return;
        const body = this.http.refreshCookie ? {} : { refresh_token: tokens?.refresh_token };
        const headers = this.http.cookieHeaders();
        await this.http.request("POST", `${V1}/auth/logout`, { json: body, auth: false, headers }).catch(() => undefined);
    }
    /** The link of the verification email (`/verify-email?token=…`): 204 when the address is confirmed. */
    verifyEmail(body) {
        return this.http.request("POST", `${V1}/auth/verify-email`, { json: body, auth: false });
    }
    /** A new verification email: 202 whether or not the account exists or is verified (at most 3 an hour). */
    resendVerificationEmail(body) {
        return this.http.request("POST", `${V1}/auth/verify-email/resend`, { json: body, auth: false });
    }
    /** "Forgot password": 202 whether or not the account exists (no enumeration). */
    requestPasswordReset(body) {
        return this.http.request("POST", `${V1}/auth/password-reset`, { json: body, auth: false });
    }
    /** The link of the reset email (`/reset-password?token=…`) with the new password: 204, every session ended. */
    confirmPasswordReset(body) {
        return this.http.request("POST", `${V1}/auth/password-reset/confirm`, { json: body, auth: false });
    }
    getMe() {
        return this.http.request("GET", `${V1}/me`);
    }
    /** In-app and email notifications on/off, the reminder lead time and the IANA zone of emailed times. */
    getNotificationSettings() {
        return this.http.request("GET", `${V1}/me/notification-settings`);
    }
    /** Replace the settings (422 with field errors for an unknown `time_zone` or a lead time out of range). */
    putNotificationSettings(body) {
        return this.http.request("PUT", `${V1}/me/notification-settings`, { json: body });
    }
    // -- realtime ------------------------------------------------------------------------------------
    createRealtimeTicket() {
        return this.http.request("POST", `${V1}/realtime/tickets`);
    }
    // -- resumes -------------------------------------------------------------------------------------
    uploadResume(file, filename, title) {
        const form = new FormData();
        form.set("file", file, filename);
        if (title)
            form.set("title", title);
        return this.http.request("POST", `${V1}/resumes`, { form });
    }
    listResumes() {
        return this.http.request("GET", `${V1}/resumes`);
    }
    listResumeVersions(resumeId) {
        return this.http.request("GET", `${V1}/resumes/${resumeId}/versions`);
    }
    uploadResumeVersion(resumeId, file, filename) {
        const form = new FormData();
        form.set("file", file, filename);
        return this.http.request("POST", `${V1}/resumes/${resumeId}/versions`, { form });
    }
    /** Delete a resume with every version and stored file. */
    deleteResume(resumeId) {
        return this.http.request("DELETE", `${V1}/resumes/${resumeId}`);
    }
    getResumeVersion(resumeId, versionId) {
        return this.http.request("GET", `${V1}/resumes/${resumeId}/versions/${versionId}`);
    }
    // -- applications --------------------------------------------------------------------------------
    listApplications(query = {}) {
        return this.http.request("GET", `${V1}/applications`, { query });
    }
    createApplication(body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/applications`, { json: body, headers: { "Idempotency-Key": key } });
    }
    /** Create an application from a job posting's URL (or, with `html`, the page as the browser shows it).
     * A page that cannot be read throws an `ApiError` whose problem carries the `url` back. */
    importApplicationFromUrl(body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/applications/import-url`, {
            json: body,
            headers: { "Idempotency-Key": key },
        });
    }
    /** The posting's page as it was imported (HTML, to show in a sandboxed frame only: never run its scripts). */
    getApplicationSnapshot(id) {
        return this.http.text(`${V1}/applications/${id}/snapshot`);
    }
    getApplication(id) {
        return this.http.request("GET", `${V1}/applications/${id}`);
    }
    updateApplication(id, body) {
        return this.http.request("PATCH", `${V1}/applications/${id}`, { json: body });
    }
    deleteApplication(id) {
        return this.http.request("DELETE", `${V1}/applications/${id}`);
    }
    listApplicationEvents(id) {
        return this.http.request("GET", `${V1}/applications/${id}/events`);
    }
    applicationStats() {
        return this.http.request("GET", `${V1}/applications/stats`);
    }
    /** Outcomes of the applications started from `from` to `to` (YYYY-MM-DD, both optional). */
    applicationAnalytics(query = {}) {
        return this.http.request("GET", `${V1}/applications/analytics`, { query });
    }
    /** The answer to a `ghosting_suggested` notification: no answer came, the application becomes `ghosted`. */
    confirmGhosting(id) {
        return this.http.request("POST", `${V1}/applications/${id}/ghosting/confirm`);
    }
    /** Keep waiting: the application is not suggested as ghosted again until it is re-applied. */
    dismissGhosting(id) {
        return this.http.request("POST", `${V1}/applications/${id}/ghosting/dismiss`);
    }
    // -- interviews of an application ----------------------------------------------------------------
    listInterviews(applicationId) {
        return this.http.request("GET", `${V1}/applications/${applicationId}/interviews`);
    }
    createInterview(applicationId, body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/applications/${applicationId}/interviews`, {
            json: body,
            headers: { "Idempotency-Key": key },
        });
    }
    updateInterview(applicationId, id, body) {
        return this.http.request("PATCH", `${V1}/applications/${applicationId}/interviews/${id}`, { json: body });
    }
    deleteInterview(applicationId, id) {
        return this.http.request("DELETE", `${V1}/applications/${applicationId}/interviews/${id}`);
    }
    // -- contacts ------------------------------------------------------------------------------------
    listContacts(query = {}) {
        return this.http.request("GET", `${V1}/contacts`, { query });
    }
    createContact(body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/contacts`, { json: body, headers: { "Idempotency-Key": key } });
    }
    deleteContact(id) {
        return this.http.request("DELETE", `${V1}/contacts/${id}`);
    }
    /** One contact as a vCard 4.0 (`text/vcard`). */
    getContactVcard(id) {
        return this.http.text(`${V1}/contacts/${id}/vcard`);
    }
    /** Every contact as one vCard file. */
    exportContactsVcard() {
        return this.http.text(`${V1}/contacts/export.vcf`);
    }
    // -- the calendar feed (an iCalendar URL for calendar apps) --------------------------------------
    getCalendarFeed() {
        return this.http.request("GET", `${V1}/me/calendar-feed`);
    }
    /** A new private feed URL; the previous one stops working. */
    createCalendarFeed() {
        return this.http.request("POST", `${V1}/me/calendar-feed`);
    }
    deleteCalendarFeed() {
        return this.http.request("DELETE", `${V1}/me/calendar-feed`);
    }
    // -- personal access tokens (integrations, the browser extension) --------------------------------
    listPersonalAccessTokens() {
        return this.http.request("GET", `${V1}/me/tokens`);
    }
    createPersonalAccessToken(body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/me/tokens`, { json: body, headers: { "Idempotency-Key": key } });
    }
    revokePersonalAccessToken(id) {
        return this.http.request("DELETE", `${V1}/me/tokens/${id}`);
    }
    // -- cover letters (streamed as `cover_letter.delta` events) -------------------------------------
    createCoverLetter(body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/cover-letters`, { json: body, headers: { "Idempotency-Key": key } });
    }
    listCoverLetters(query = {}) {
        return this.http.request("GET", `${V1}/cover-letters`, { query });
    }
    getCoverLetter(id) {
        return this.http.request("GET", `${V1}/cover-letters/${id}`);
    }
    updateCoverLetter(id, body) {
        return this.http.request("PATCH", `${V1}/cover-letters/${id}`, { json: body });
    }
    cancelCoverLetter(id) {
        return this.http.request("POST", `${V1}/cover-letters/${id}/cancel`);
    }
    deleteCoverLetter(id) {
        return this.http.request("DELETE", `${V1}/cover-letters/${id}`);
    }
    // -- analyses (`analysis.completed` / `analysis.failed` when done) -------------------------------
    createAnalysis(body, key = idempotencyKey()) {
        return this.http.request("POST", `${V1}/analyses`, { json: body, headers: { "Idempotency-Key": key } });
    }
    getAnalysis(id) {
        return this.http.request("GET", `${V1}/analyses/${id}`);
    }
    // -- notifications (`notification.created` live) -------------------------------------------------
    listNotifications(query = {}) {
        return this.http.request("GET", `${V1}/notifications`, { query });
    }
    markNotificationRead(id) {
        return this.http.request("POST", `${V1}/notifications/${id}/read`);
    }
    markAllNotificationsRead() {
        return this.http.request("POST", `${V1}/notifications/read-all`);
    }
}
/** Every page of a cursor-paginated list (`{items, next_cursor}`), in order. */
export async function* pages(fetchPage) {
    let cursor;
    do {
        const page = await fetchPage(cursor);
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
    } while (cursor);
}
