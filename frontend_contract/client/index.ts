// Career Copilot's typed client: REST (`ApiClient`) and the realtime socket (`Realtime`).
export { ApiClient, idempotencyKey, pages, type ApplicationStatus, type ParsedResume } from "./api.js";
export {
  ApiError,
  Http,
  memoryTokenStore,
  type BodyOf,
  type Problem,
  type QueryOf,
  type ResultOf,
  type Schemas,
  type TokenPair,
  type TokenStore,
  type operations,
} from "./http.js";
export {
  CLOSE_ACCOUNT,
  CLOSE_RESTART,
  CLOSE_TOO_SLOW,
  Realtime,
  type ConnectionState,
  type EventOf,
  type EventType,
  type RealtimeEvent,
} from "./realtime.js";
