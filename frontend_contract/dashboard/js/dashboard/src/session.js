const TOKENS = "career-copilot.tokens";
const LAST_EVENT = "career-copilot.last-event-id";
export const tokenStore = {
    get() {
        const raw = sessionStorage.getItem(TOKENS);
        return raw ? JSON.parse(raw) : null;
    },
    set(tokens) {
        if (tokens)
            sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
        else
            sessionStorage.removeItem(TOKENS);
    },
};
export const lastEventId = {
    get: () => sessionStorage.getItem(LAST_EVENT) ?? undefined,
    set: (id) => sessionStorage.setItem(LAST_EVENT, id),
    clear: () => sessionStorage.removeItem(LAST_EVENT),
};
