// Where the extension sends jobs: the api's address and a personal access token (scope `write`), kept in
// the extension's own storage (chrome.storage.local: never readable by web pages), set on the options page.

import type { components } from "../../types/api.js";

export type Application = components["schemas"]["ApplicationOut"];
export type Imported = components["schemas"]["ImportedApplication"];

export interface Connection {
  apiUrl: string; // e.g. https://copilot.example.com (no trailing slash)
  token: string; // a personal access token, `ccp_…`
}

/** A problem-details answer (or a network failure) in words a user can act on. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function loadConnection(): Promise<Connection | null> {
  const stored = await chrome.storage.local.get(["apiUrl", "token"]);
  const apiUrl = typeof stored["apiUrl"] === "string" ? stored["apiUrl"] : "";
  const token = typeof stored["token"] === "string" ? stored["token"] : "";
  return apiUrl && token ? { apiUrl, token } : null;
}

export async function saveConnection(connection: Connection): Promise<void> {
  await chrome.storage.local.set({ apiUrl: connection.apiUrl, token: connection.token });
}

/** `raw` as the api's origin, or an error message: http(s) only, path and query dropped. */
export function normaliseApiUrl(raw: string): string | { error: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { error: "Enter the address of your Career Copilot, e.g. https://copilot.example.com" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { error: "The address must start with https://" };
  return url.origin;
}

/** One JSON call to the api with the token; non-2xx answers become an ApiError with the problem's detail. */
export async function call<T>(connection: Connection, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${connection.token}` };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = crypto.randomUUID(); // a retried click never saves the job twice
  }
  let response: Response;
  try {
    response = await fetch(connection.apiUrl + path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(`Cannot reach ${connection.apiUrl}: check the address on the options page.`, 0);
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const detail = typeof answer["detail"] === "string" ? answer["detail"] : response.statusText;
    const message =
      response.status === 401
        ? "The token was refused (revoked or mistyped): paste a new one on the options page."
        : response.status === 403
          ? "The token may only read: create one with the write scope."
          : detail;
    throw new ApiError(message, response.status, answer);
  }
  return answer as T;
}
