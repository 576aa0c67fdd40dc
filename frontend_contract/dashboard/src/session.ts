// The tab's session: the access token in memory only (a reload asks the api for a new one with the
// refresh token, which lives in the api's HttpOnly cookie, out of every script's reach), and the last
// realtime event id in sessionStorage (per tab: a reload resumes the socket where it stopped).
import { memoryTokenStore, type TokenStore } from "../../client/index.js";

const LAST_EVENT = "career-copilot.last-event-id";

export const tokenStore: TokenStore = memoryTokenStore();

export const lastEventId = {
  get: (): string | undefined => sessionStorage.getItem(LAST_EVENT) ?? undefined,
  set: (id: string): void => sessionStorage.setItem(LAST_EVENT, id),
  clear: (): void => sessionStorage.removeItem(LAST_EVENT),
};
