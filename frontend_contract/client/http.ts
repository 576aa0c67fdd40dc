// The REST transport: JSON in and out, bearer tokens with one refresh-and-retry on 401, and every
// error turned into an `ApiError` carrying the RFC 9457 problem details the api answers with.
import type { components, operations } from "../types/api.js";

export type Schemas = components["schemas"];
/** RFC 9457 problem details: `type` is stable (`urn:career-copilot:problem:<slug>`), `errors` lists field errors. */
export type Problem = Schemas["Problem"];
export type TokenPair = Schemas["TokenPair"];

/** The JSON body an operation takes. */
export type BodyOf<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
/** The query parameters an operation takes. */
export type QueryOf<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type JsonContent<R> = R extends { content: { "application/json": infer T } } ? T : undefined;
/** The JSON of an operation's success answer (200, 201 or 202; `undefined` for 204). */
export type ResultOf<Op> = Op extends { responses: infer R }
  ? 200 extends keyof R
    ? JsonContent<R[200]>
    : 201 extends keyof R
      ? JsonContent<R[201]>
      : 202 extends keyof R
        ? JsonContent<R[202]>
        : undefined
  : never;
export type { operations };

/** A non-2xx answer (or a network failure, with `status` 0) as problem details. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
  }

  /** Field errors of a 4xx validation problem, as `{field: message}`. */
  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const error of this.problem.errors ?? []) {
      if (error.field !== undefined && error.message !== undefined) out[error.field] = error.message;
    }
    return out;
  }
}

/** Where the signed-in session's tokens live (memory, ...). With `refreshCookie` only the access token is
 * kept: the refresh token is in the api's `HttpOnly` cookie, out of every script's reach. */
export interface TokenStore {
  get(): TokenPair | null;
  set(tokens: TokenPair | null): void;
}

export function memoryTokenStore(initial: TokenPair | null = null): TokenStore {
  let tokens = initial;
  return { get: () => tokens, set: (next) => void (tokens = next) };
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  json?: unknown;
  form?: FormData;
  /** Send the access token (default true). */
  auth?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface HttpOptions {
  /** Origin of the api, e.g. `https://api.example.com`; "" for the page's own origin. */
  baseUrl?: string;
  tokens?: TokenStore;
  /** Called when the session ends (refresh refused): show the sign-in screen. */
  onSignedOut?: () => void;
  /** Browsers on the api's own origin: keep the refresh token in the api's `HttpOnly` cookie
   * (`X-Refresh-Cookie: 1`) instead of the token store. */
  refreshCookie?: boolean;
  fetch?: typeof fetch;
}

/** The header that asks the api to keep the refresh token in its cookie (and proves a same-site caller). */
export const REFRESH_COOKIE_HEADER = "X-Refresh-Cookie";

export class Http {
  readonly baseUrl: string;
  readonly tokens: TokenStore;
  readonly refreshCookie: boolean;
  private readonly onSignedOut: () => void;
  private readonly fetcher: typeof fetch;
  private refreshing: Promise<boolean> | null = null;

  constructor(options: HttpOptions = {}) {
    this.baseUrl = (options.baseUrl ?? "").replace(/\/$/, "");
    this.tokens = options.tokens ?? memoryTokenStore();
    this.onSignedOut = options.onSignedOut ?? (() => {});
    this.refreshCookie = options.refreshCookie ?? false;
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Send a request; returns the parsed JSON (or undefined for 204), throws `ApiError` otherwise. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.answer(method, path, options);
    if (response.status === 204 || response.status === 304) return undefined as T;
    return (await response.json()) as T;
  }

  /** A GET whose answer is text, not JSON (a stored page, a CSV); throws `ApiError` on a problem. */
  async text(path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.answer("GET", path, { ...options, headers: { accept: "*/*", ...options.headers } })).text();
  }

  /** The successful answer to a request (after one token rotation on 401), or an `ApiError`. */
  private async answer(method: string, path: string, options: RequestOptions): Promise<Response> {
    const auth = options.auth ?? true;
    let response = await this.send(method, path, options, auth);
    if (response.status === 401 && auth && this.tokens.get()) {
      // The access token expired (or the session ended): rotate once, then retry once.
      if (await this.refresh()) {
        await drain(response);
        response = await this.send(method, path, options, auth);
      }
    }
    if (!response.ok) throw new ApiError(await problemOf(response));
    return response;
  }

  /** Rotate the refresh token. Concurrent callers share one rotation (a spent token revokes the session). */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.rotate().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Headers that keep the refresh token in the api's cookie (none without `refreshCookie`). */
  cookieHeaders(): Record<string, string> {
    return this.refreshCookie ? { [REFRESH_COOKIE_HEADER]: "1" } : {};
  }

  private async rotate(): Promise<boolean> {
    const current = this.tokens.get();
    if (!this.refreshCookie && !current?.refresh_token) return false;
    // The cookie is shared by every tab of the browser: one rotation at a time (two tabs spending the
    // same cookie at once would look like a stolen token and end the session).
    const locks = this.refreshCookie ? globalThis.navigator?.locks : undefined;
    const response = locks
      ? await locks.request("career-copilot.refresh", () => this.sendRefresh(current))
      : await this.sendRefresh(current);
    if (response.ok) {
      this.tokens.set((await response.json()) as ResultOf<operations["refreshTokens"]>);
      return true;
    }
    await drain(response);
    if (response.status === 401 || response.status === 403) {
      this.tokens.set(null);
      if (current) this.onSignedOut(); // a session ended (not a page load that found none)
    }
    return false;
  }

  private sendRefresh(current: TokenPair | null): Promise<Response> {
    const body: BodyOf<operations["refreshTokens"]> = this.refreshCookie ? {} : { refresh_token: current?.refresh_token };
    return this.send("POST", "/api/v1/auth/refresh", { json: body, headers: this.cookieHeaders() }, false);
  }

  private async send(method: string, path: string, options: RequestOptions, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    const access = this.tokens.get()?.access_token;
    if (auth && access) headers.authorization = `Bearer ${access}`;
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
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
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError({ type: "about:blank", title: "Network error", status: 0, detail: String(error) });
    }
  }
}

function queryString(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function problemOf(response: Response): Promise<Problem> {
  const fallback: Problem = { type: "about:blank", title: response.statusText || "Error", status: response.status };
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) return fallback;
  try {
    return { ...fallback, ...((await response.json()) as Partial<Problem>) };
  } catch {
    return fallback;
  }
}

/** Read a body nobody needs: an unread body keeps its request open (and the page never network-idle). */
async function drain(response: Response): Promise<void> {
  await response.arrayBuffer().catch(() => undefined);
}
