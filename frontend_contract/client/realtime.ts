// The realtime socket (asyncapi.yaml): a fresh single-use ticket per attempt, replay from
// `last_event_id` on every reconnect, exponential backoff with jitter, `sync.reset` -> refetch over
// REST, and the server's close codes: 1012/4002/4008 reconnect at once and replay (a new ticket, the
// access token refreshed first when it has expired), 4001/4401 stop for good (signed out), 4003 stop
// (the user opened too many sockets: reconnecting would close another one).
import type { CareerCopilotRealtimeServerMessage as ServerMessage } from "../types/events.js";
import { ApiError } from "./http.js";
import type { ApiClient } from "./api.js";

/** A stored event: it has an `id` (control messages `ping`, `pong`, `sync.reset` do not). */
export type RealtimeEvent = Extract<ServerMessage, { id: string }>;
export type EventType = RealtimeEvent["type"];
export type EventOf<T extends EventType> = Extract<RealtimeEvent, { type: T }>;
export type ConnectionState = "connecting" | "open" | "reconnecting" | "stopped";

export const CLOSE_RESTART = 1012; // server restarting or lost Redis: reconnect and replay
export const CLOSE_TOO_SLOW = 4008; // could not keep up: reconnect and replay
export const CLOSE_ACCOUNT = 4401; // account disabled or deleted: never reconnect
export const CLOSE_SESSION_ENDED = 4001; // the sign-in session ended (logout, password reset...): never reconnect
export const CLOSE_RETICKET = 4002; // the socket lived one access-token lifetime: new ticket, reconnect and replay
export const CLOSE_TOO_MANY = 4003; // the user opened too many sockets, this was the oldest: do not reconnect

export interface RealtimeOptions {
  /** Websocket URL; default: the api's origin (or the page's) + `/api/v1/realtime`. */
  url?: string;
  /** Resume after this event id (e.g. kept in sessionStorage across page loads). */
  lastEventId?: string;
  /** The server could not replay the gap: refetch everything shown over REST. */
  onReset?: () => void;
  onState?: (state: ConnectionState, detail: string) => void;
  /** The server closed with 4401 (account disabled or deleted): the connection stopped for good; sign out. */
  onAccountClosed?: () => void;
  /** The server closed with 4001 (this sign-in session ended elsewhere): stopped for good; sign in again. */
  onSessionEnded?: () => void;
  /** Every event, after `lastEventId` moved past it (store it to resume after a reload). */
  onEvent?: (event: RealtimeEvent) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Reconnect when nothing (not even a server ping) arrived for this long. */
  silenceMs?: number;
  WebSocket?: typeof WebSocket;
}

export class Realtime {
  lastEventId: string | undefined;
  state: ConnectionState = "stopped";
  private readonly handlers = new Map<string, Set<(event: RealtimeEvent) => void>>();
  private socket: WebSocket | null = null;
  private attempt = 0;
  private generation = 0; // bumped by stop(): an attempt of an older generation gives up
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly options: Required<Pick<RealtimeOptions, "minDelayMs" | "maxDelayMs" | "silenceMs">> &
    RealtimeOptions;

  constructor(
    private readonly api: ApiClient,
    options: RealtimeOptions = {},
  ) {
    this.options = { minDelayMs: 500, maxDelayMs: 30_000, silenceMs: 70_000, ...options };
    this.lastEventId = options.lastEventId;
  }

  /** Call `handler` for every event of `type`; returns a function that unsubscribes. */
  on<T extends EventType>(type: T, handler: (event: EventOf<T>) => void): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    const wrapped = handler as (event: RealtimeEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  start(): void {
    if (this.state !== "stopped") return;
    this.setState("connecting", "");
    void this.connect();
  }

  /** Close for good (sign-out, page teardown). */
  stop(): void {
    this.generation += 1;
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
    this.setState("stopped", "");
  }

  private async connect(): Promise<void> {
    const generation = this.generation;
    let ticket: string;
    try {
      ticket = (await this.api.createRealtimeTicket()).ticket;
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof ApiError && error.status === 401) return this.stop(); // signed out
      return this.retry(`ticket: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (generation !== this.generation) return; // stopped (and maybe restarted) meanwhile
    const url = new URL(this.options.url ?? defaultUrl(this.api.http.baseUrl));
    url.searchParams.set("ticket", ticket);
    if (this.lastEventId) url.searchParams.set("last_event_id", this.lastEventId);
    const Socket = this.options.WebSocket ?? WebSocket;
    const socket = new Socket(url.toString());
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.watchSilence();
      this.setState("open", "");
    };
    socket.onmessage = (message) => {
      this.watchSilence();
      this.receive(message.data);
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return; // an old socket, replaced or stopped
      this.socket = null;
      clearTimeout(this.silenceTimer);
      if (close.code === CLOSE_ACCOUNT) {
        this.stop();
        return this.options.onAccountClosed?.();
      }
      if (close.code === CLOSE_SESSION_ENDED) {
        this.stop();
        return this.options.onSessionEnded?.();
      }
      if (close.code === CLOSE_TOO_MANY) {
        this.stop();
        return this.setState("stopped", "too many open connections: reload to reconnect");
      }
      const replay = close.code === CLOSE_RESTART || close.code === CLOSE_TOO_SLOW || close.code === CLOSE_RETICKET;
      this.retry(`closed ${close.code}${close.reason ? ` (${close.reason})` : ""}`, replay);
    };
  }

  private receive(raw: unknown): void {
    if (typeof raw !== "string") return;
    let message: ServerMessage;
    try {
      message = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === "sync.reset") return this.options.onReset?.();
    if (message.type === "ping" || message.type === "pong") return; // server keep-alive
    if (!("id" in message)) return; // an unknown control message: ignore (forward compatible)
    this.lastEventId = message.id;
    this.options.onEvent?.(message);
    for (const handler of this.handlers.get(message.type) ?? []) handler(message);
  }

  /** Schedule the next attempt: soon after a 1012/4002/4008 (the server asked), else exponential backoff. */
  private retry(detail: string, soon = false): void {
    if (this.state === "stopped") return;
    this.setState("reconnecting", detail);
    const { minDelayMs, maxDelayMs } = this.options;
    const ceiling = soon && this.attempt === 0 ? minDelayMs : Math.min(maxDelayMs, minDelayMs * 2 ** this.attempt);
    this.attempt += 1;
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2; // jitter: replicas restart together
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  /** A socket that stays silent past two server pings is dead (laptop sleep, lost route): replace it. */
  private watchSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.socket?.close(4000, "silent"), this.options.silenceMs);
  }

  private setState(state: ConnectionState, detail: string): void {
    this.state = state;
    this.options.onState?.(state, detail);
  }
}

function defaultUrl(baseUrl: string): string {
  const origin = baseUrl || globalThis.location.origin;
  return origin.replace(/^http/, "ws") + "/api/v1/realtime";
}
