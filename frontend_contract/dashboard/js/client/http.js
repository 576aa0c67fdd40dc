/** A non-2xx answer (or a network failure, with `status` 0) as problem details. */
export class ApiError extends Error {
    status;
    problem;
    constructor(problem) {
        super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
        this.name = "ApiError";
        this.status = problem.status;
        this.problem = problem;
    }
    /** Field errors of a 4xx validation problem, as `{field: message}`. */
    get fieldErrors() {
        const out = {};
        for (const error of this.problem.errors ?? []) {
            if (error.field !== undefined && error.message !== undefined)
                out[error.field] = error.message;
        }
        return out;
    }
}
export function memoryTokenStore(initial = null) {
    let tokens = initial;
    return { get: () => tokens, set: (next) => void (tokens = next) };
}
/** The header that asks the api to keep the refresh token in its cookie (and proves a same-site caller). */
export const REFRESH_COOKIE_HEADER = "X-Refresh-Cookie";
export class Http {
    baseUrl;
    tokens;
    refreshCookie;
    onSignedOut;
    fetcher;
    refreshing = null;
    constructor(options = {}) {
        this.baseUrl = (options.baseUrl ?? "").replace(/\/$/, "");
        this.tokens = options.tokens ?? memoryTokenStore();
        this.onSignedOut = options.onSignedOut ?? (() => { });
        this.refreshCookie = options.refreshCookie ?? false;
        this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
    }
    /** Send a request; returns the parsed JSON (or undefined for 204), throws `ApiError` otherwise. */
    async request(method, path, options = {}) {
        const response = await this.answer(method, path, options);
        if (response.status === 204 || response.status === 304)
            return undefined;
        return (await response.json());
    }
    /** A GET whose answer is text, not JSON (a stored page, a CSV); throws `ApiError` on a problem. */
    async text(path, options = {}) {
        return (await this.answer("GET", path, { ...options, headers: { accept: "*/*", ...options.headers } })).text();
    }
    /** The successful answer to a request (after one token rotation on 401), or an `ApiError`. */
    async answer(method, path, options) {
        const auth = options.auth ?? true;
        let response = await this.send(method, path, options, auth);
        if (response.status === 401 && auth && this.tokens.get()) {
            // The access token expired (or the session ended): rotate once, then retry once.
            if (await this.refresh()) {
                await drain(response);
                response = await this.send(method, path, options, auth);
            }
        }
        if (!response.ok)
            throw new ApiError(await problemOf(response));
        return response;
    }
    /** Rotate the refresh token. Concurrent callers share one rotation (a spent token revokes the session). */
    refresh() {
        this.refreshing ??= this.rotate().finally(() => (this.refreshing = null));
        return this.refreshing;
    }
    /** Headers that keep the refresh token in the api's cookie (none without `refreshCookie`). */
    cookieHeaders() {
        return this.refreshCookie ? { [REFRESH_COOKIE_HEADER]: "1" } : {};
    }
    async rotate() {
        const current = this.tokens.get();
        if (!this.refreshCookie && !current?.refresh_token)
            return false;
        // The cookie is shared by every tab of the browser: one rotation at a time (two tabs spending the
        // same cookie at once would look like a stolen token and end the session).
        const locks = this.refreshCookie ? globalThis.navigator?.locks : undefined;
        const response = locks
            ? await locks.request("career-copilot.refresh", () => this.sendRefresh(current))
            : await this.sendRefresh(current);
        if (response.ok) {
            this.tokens.set((await response.json()));
            return true;
        }
        await drain(response);
        if (response.status === 401 || response.status === 403) {
            this.tokens.set(null);
            if (current)
                this.onSignedOut(); // a session ended (not a page load that found none)
        }
        return false;
    }
    sendRefresh(current) {
        const body = this.refreshCookie ? {} : { refresh_token: current?.refresh_token };
        return this.send("POST", "/api/v1/auth/refresh", { json: body, headers: this.cookieHeaders() }, false);
    }
    async send(method, path, options, auth) {
        const headers = { accept: "application/json", ...options.headers };
        const access = this.tokens.get()?.access_token;
        if (auth && access)
            headers.authorization = `Bearer ${access}`;
        let body;
        if (options.form)
            body = options.form;
        else if (options.json !== undefined) {
            headers["content-type"] = "application/json";
            body = JSON.stringify(options.json);
        }
        try {
            return await this.fetcher(this.baseUrl + path + queryString(options.query), {
                method,
                headers,
                body,
                signal: options.signal,
            });
        }
        catch (error) {
            if (options.signal?.aborted)
                throw error;
            throw new ApiError({ type: "about:blank", title: "Network error", status: 0, detail: String(error) });
        }
    }
}
function queryString(query) {
    if (!query)
        return "";
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== "")
            params.set(key, String(value));
    }
    const text = params.toString();
    return text ? `?${text}` : "";
}
async function problemOf(response) {
    const fallback = { type: "about:blank", title: response.statusText || "Error", status: response.status };
    const type = response.headers.get("content-type") ?? "";
    if (!type.includes("json"))
        return fallback;
    try {
        return { ...fallback, ...(await response.json()) };
    }
    catch {
        return fallback;
    }
}
/** Read a body nobody needs: an unread body keeps its request open (and the page never network-idle). */
async function drain(response) {
    await response.arrayBuffer().catch(() => undefined);
}
