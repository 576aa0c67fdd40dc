// The tab's session: tokens and the last realtime event id in sessionStorage (per tab, gone when
// the tab closes; a production app may prefer memory + an httpOnly refresh cookie).
import type { TokenPair, TokenStore } from "../../client/index.js";

const TOKENS = "career-copilot.tokens";
const LAST_EVENT = "career-copilot.last-event-id";

export const tokenStore: TokenStore = {
  get(): TokenPair | null {
    const raw = sessionStorage.getItem(TOKENS);
    return raw ? (JSON.parse(raw) as TokenPair) : null;
  },
  set(tokens: TokenPair | null): void {
    if (tokens) sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
    else sessionStorage.removeItem(TOKENS);
  },
};

export const lastEventId = {
  get: (): string | undefined => sessionStorage.getItem(LAST_EVENT) ?? undefined,
  set: (id: string): void => sessionStorage.setItem(LAST_EVENT, id),
  clear: (): void => sessionStorage.removeItem(LAST_EVENT),
};
