// Career Copilot's typed client: REST (`ApiClient`) and the realtime socket (`Realtime`).
export { ApiClient, idempotencyKey, pages } from "./api.js";
export { ApiError, Http, memoryTokenStore, } from "./http.js";
export { CLOSE_ACCOUNT, CLOSE_RESTART, CLOSE_TOO_SLOW, Realtime, } from "./realtime.js";
