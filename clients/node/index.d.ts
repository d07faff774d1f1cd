/// <reference types="node" />
import { EventEmitter } from 'node:events';

export type Protocol = 'Noise_XX_25519_AESGCM_SHA256' | 'Noise_XX_25519_ChaChaPoly_BLAKE2b';
export const PROTOCOLS: Protocol[];

export interface SealpostClientOptions {
  /**
   * "host:port" (IPv6 as "[::1]:9300"), or several nodes of one deployment
   * separated by commas ("a:9300,b:9300"); default "127.0.0.1:9300".
   */
  server?: string;
  /**
   * The servers as a list (or a comma-separated string); wins over `server`.
   * Every attempt or session that ends (refused, timed out, lost, goaway)
   * moves the next attempt to the next server, round robin.
   */
  servers?: string[] | string;
  /** Index of the server tried first; default -1: a random one, so clients spread out. */
  firstServer?: number;
  /** The servers' static key (base64 or 32 bytes), shared by all of them. Without it: trust on first use. */
  serverPublicKey?: string | Buffer;
  /** Known-servers file used when no key is pinned; default ~/.sealpost/known_servers. */
  knownServersFile?: string;
  /** Name the known-servers entries are keyed by; default each server's own `host:port`. */
  serverName?: string;
  /** Client id: 1-64 characters from A-Z a-z 0-9 _ . - */
  id: string;
  /** Key file in the `sealpost keygen` format; created (0600) when missing. */
  keyFile?: string;
  /** The X25519 private key (base64 or 32 bytes), instead of keyFile. */
  privateKey?: string | Buffer;
  protocol?: Protocol;
  /** Ack each event once every 'event' listener has resolved (default true); false: call event.ack(). */
  autoAck?: boolean;
  /** Time from connecting to `welcome`; default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect delays: full jitter up to initialMs * 2^attempt, capped at maxMs. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** A session up this long (or ended by goaway) resets the backoff; default 1000. */
  healthySessionMs?: number;
  /** How many handled event ids are remembered to drop redeliveries; default 10000. */
  dedupSize?: number;
}

export interface SealpostEvent {
  eventId: string;
  /** 1 on first delivery, then 2, 3, ... */
  attempt: number;
  type: string;
  data: string | undefined;
  /** Every field of the stream entry, type and data included. */
  fields: Record<string, string>;
  /** Server time stamp of this delivery (ms since the epoch). */
  ts: number;
  ack(): void;
}

export interface SendOptions {
  /**
   * A direct message to another client ("<client id>") or to every other
   * member of a group ("group:<name>"); omitted: the event goes to sp:inbound.
   * The receivers see the event with `from` = this client's id (and `to` for a group).
   */
  to?: string;
}

export interface RequestOptions {
  /** Give up after this long (from the call) with a `request_timeout` error; default 30000. */
  timeoutMs?: number;
  /** Called with each partial reply (`last` = "0") as it arrives; throwing rejects the request. */
  onPartial?: (part: SealpostEvent) => void;
}

/** The final reply to a request, with every reply event for it. */
export interface SealpostReply extends SealpostEvent {
  /** The request's id (the replies' `re`). */
  requestId: string;
  /** Every reply event for the request in arrival order: the partial ones, then this final one. */
  parts: SealpostEvent[];
}

export interface Welcome {
  type: 'welcome';
  ts: number;
  client: string;
  node: string;
  session: string;
  heartbeatMs: number;
  window: number;
  maxFrameBytes: number;
  /** The entry of the server list this session is on ("host:port" as given). */
  server: string;
}

export class SealpostError extends Error {
  code: string;
  /** The client stopped: retrying cannot help (key mismatch, unknown_client, client_disabled, revoked). */
  fatal: boolean;
  /** The server said the request may be retried. */
  retry: boolean;
  /** Set when an event handler failed for this event. */
  eventId?: string;
  /** `request_timeout`: the request that got no final reply in time. */
  requestId?: string;
  /** `request_timeout`: the partial replies that did arrive. */
  parts?: SealpostEvent[];
}

export class SealpostClient extends EventEmitter {
  constructor(options: SealpostClientOptions);
  readonly connected: boolean;
  /** The server of the list the current (or next) connection is to. */
  readonly server: { server: string; host: string; port: number; serverName: string };
  /** This client's public key (base64): what `sealpost provision --pk` registers. */
  readonly publicKey: string;
  /**
   * Resolves with the event's id once the server has stored it in Redis
   * (in sp:inbound, or with `to` in the target's stream). Rejects with the
   * server's refusal: `unknown_target`, `forbidden`, `group_too_large`, daily `quota`.
   * Field names `client`, `id`, `ts`, `from`, `to` are reserved (TypeError).
   */
  send(type: string, data?: string, fields?: Record<string, string>, options?: SendOptions): Promise<string>;
  /**
   * Sends a `request` (method: 1-64 of A-Z a-z 0-9 _ . -; params: any JSON value,
   * omitted when undefined) and resolves with its final reply. Methods the
   * server answers itself: `echo`, `time`, `who`. Rejects with the server's
   * refusal (`forbidden`, `quota`), `closed`, or `request_timeout`.
   */
  request(method: string, params?: unknown, options?: RequestOptions): Promise<SealpostReply>;
  ack(eventId: string): void;
  /** Lets running handlers finish, then disconnects; pending sends are rejected. */
  close(): Promise<void>;

  on(event: 'event', listener: (event: SealpostEvent) => void | Promise<void>): this;
  on(event: 'connected', listener: (welcome: Welcome) => void): this;
  on(event: 'disconnected', listener: (reason: SealpostError | null) => void): this;
  on(event: 'goaway', listener: (message: { reason: string; reconnectMs: number }) => void): this;
  on(event: 'trusted', listener: (info: { server: string; publicKey: string; file: string }) => void): this;
  on(event: 'error', listener: (error: SealpostError | Error) => void): this;
  once(event: 'event', listener: (event: SealpostEvent) => void | Promise<void>): this;
  once(event: 'connected', listener: (welcome: Welcome) => void): this;
  once(event: 'disconnected', listener: (reason: SealpostError | null) => void): this;
  once(event: 'error', listener: (error: SealpostError | Error) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
}

export interface KeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

/** Writes a fresh key pair (mode 0600) in the `sealpost keygen` format; fails if the file exists. */
export function createKeyFile(path: string): KeyPair;
/** Reads a key file; refuses one readable by group or others. */
export function readKeyFile(path: string): KeyPair;
