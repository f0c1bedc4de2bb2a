// Type declarations of @pomehq/pome, written by hand beside the JavaScript
// in src/ (no build step). Objects sent to and received from Pome keep the
// wire's snake_case, as openapi/openapi.yaml has them; the SDK's own options
// are camelCase.

// ---------------------------------------------------------------- options

export interface ClientOptions {
  /** The Pome server, e.g. "https://keys.example.com" (a path prefix is kept). */
  baseUrl: string;
  /** Per attempt; default 30000. */
  timeoutMs?: number;
  /** Retries of a 429 or 503 answer to a call that may be sent twice (GET, PUT, DELETE, verify); default 2. */
  maxRetries?: number;
  /** The longest wait before a retry; a longer Retry-After is not waited for. Default 10000. */
  maxRetryDelayMs?: number;
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

export interface PomeOptions extends ClientOptions {
  apiKey: string;
}

export interface PomePlatformOptions extends ClientOptions {
  /** A service token (pst_…) made by `pome admin service-token create`. */
  serviceToken: string;
}

// ----------------------------------------------------------------- errors

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'unavailable_error';

/** An error answered by Pome: its envelope `{"error": {message, type, code, request_id}}`. */
export class PomeError extends Error {
  readonly name: 'PomeError';
  /** The HTTP status, e.g. 403. */
  readonly status: number;
  readonly type: ErrorType;
  /** For programs, e.g. "key_revoked"; "unexpected_response" when the answer was not Pome's envelope. */
  readonly code: string;
  /** The server's request id, req_…: quote it to its operator. */
  readonly requestId: string | null;
  /** Seconds to wait before retrying (Retry-After), or null. */
  readonly retryAfter: number | null;
}

/** A call that got no answer: Pome unreachable, or not answering within timeoutMs. */
export class PomeConnectionError extends Error {
  readonly name: 'PomeConnectionError';
}

// --------------------------------------------------------- wire: common

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';
export type PlanTier = 'free' | 'pro' | 'enterprise';
export type KeyEnvironment = 'live' | 'test';
export type KeyStatus = 'active' | 'revoked' | 'expired';
/** RFC 3339, UTC. */
export type Time = string;

export interface KeyRateLimit {
  limit: number;
  window_seconds: number;
}

export interface KeyCreditRefill {
  interval: 'daily' | 'monthly';
  amount: number;
}

export interface KeyCredits {
  remaining: number;
  refill: KeyCreditRefill | null;
}

// ----------------------------------------------------------- wire: /v1/me

export interface Me {
  /** null for a key a service token made. */
  user: { id: string; email: string } | null;
  team: { id: string; slug: string; plan_tier: PlanTier };
  api_key: {
    id: string;
    name: string;
    prefix: string;
    role: Role;
    environment: KeyEnvironment;
    scopes: string[];
    meta: Record<string, unknown>;
  };
}

// ------------------------------------------------------ wire: verify

export interface VerifyParams {
  /** The customer's key. */
  key: string;
  /** Default "read"; "write" is what any method but GET and HEAD needs. */
  permission?: 'read' | 'write';
  /** Scopes the call requires of the key, all of them. */
  scopes?: string[];
  /** The client's address, which a key with allowed_cidrs must be verified with. */
  ip?: string;
  /** Credits a VALID answer spends; default 1, 0 checks without spending. */
  cost?: number;
}

export type VerifyCode =
  | 'VALID'
  | 'INVALID'
  | 'REVOKED'
  | 'EXPIRED'
  | 'TEAM_BANNED'
  | 'DISABLED'
  | 'IP_NOT_ALLOWED'
  | 'INSUFFICIENT_PERMISSIONS'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED';

export interface Verification {
  valid: boolean;
  code: VerifyCode;
  key: {
    id: string;
    name: string;
    prefix: string;
    /** The effective role. */
    role: Role;
    expires_at: Time | null;
    environment: KeyEnvironment;
    scopes: string[];
    meta: Record<string, unknown>;
  } | null;
  team: { id: string; slug: string; plan_tier: PlanTier; external_id: string | null } | null;
  user: { id: string; email: string } | null;
  ratelimit: { limit: number; remaining: number; reset: number; retry_after?: number } | null;
  credits: { remaining: number; retry_after?: number } | null;
}

// -------------------------------------------------------- wire: teams

export interface Team {
  id: string;
  slug: string;
  name: string;
  plan_tier: PlanTier;
  status: 'active' | 'banned';
  external_id: string | null;
  created_at: Time;
}

export interface CreateTeamParams {
  name: string;
  slug?: string;
  external_id?: string;
  plan_tier?: PlanTier;
}

export interface UpdateTeamParams {
  name?: string;
  plan_tier?: PlanTier;
  status?: 'active' | 'banned';
}

// --------------------------------------------------------- wire: keys

export interface Key {
  id: string;
  name: string;
  description: string;
  prefix: string;
  role: Role;
  /** The creator: a user (usr_…) or a service token (stk_…). */
  created_by: string;
  created_at: Time;
  last_used: Time | null;
  last_used_ip: string | null;
  expires_at: Time | null;
  usage_count: number;
  status: KeyStatus;
  replaced_by: string | null;
  team_id: string;
  environment: KeyEnvironment;
  meta: Record<string, unknown>;
  scopes: string[];
  rate_limit: KeyRateLimit | null;
  allowed_cidrs: string[];
  enabled: boolean;
  credits: KeyCredits | null;
}

/** A new key: `key` is its plaintext, shown this once. */
export interface CreatedKey extends Omit<Key, 'created_by' | 'last_used' | 'last_used_ip' | 'usage_count' | 'replaced_by'> {
  key: string;
}

export interface RolledKey extends CreatedKey {
  rolled_from: string;
  old_key: { id: string; expires_at: Time | null; status: KeyStatus };
}

export interface CreateKeyParams {
  name: string;
  description?: string;
  /** Default "developer" for a key a service token makes. */
  role?: Role;
  expires_in_days?: number;
  expires_at?: Time;
  environment?: KeyEnvironment;
  meta?: Record<string, unknown>;
  scopes?: string[];
  rate_limit?: KeyRateLimit;
  allowed_cidrs?: string[];
  enabled?: boolean;
  credits?: { remaining: number; refill?: KeyCreditRefill };
}

/** At least one field; null clears one. */
export interface UpdateKeyParams {
  name?: string;
  description?: string | null;
  meta?: Record<string, unknown> | null;
  scopes?: string[] | null;
  rate_limit?: KeyRateLimit | null;
  allowed_cidrs?: string[] | null;
  expires_at?: Time | null;
  enabled?: boolean;
  credits?: { remaining?: number; increment?: number; refill?: KeyCreditRefill | null } | null;
}

export interface RollKeyParams {
  /** 0 to 168, default 24. */
  expire_old_in_hours?: number;
  expires_in_days?: number;
  expires_at?: Time;
}

export interface KeyListOptions {
  /** Default "active". */
  status?: KeyStatus | 'all';
  /** Keys whose name holds it, or whose prefix starts with it. */
  q?: string;
}

export interface KeyPageOptions extends KeyListOptions {
  /** 1 to 100, default 50. */
  limit?: number;
  cursor?: string;
}

export interface KeyPage {
  keys: Key[];
  /** null on the last page. */
  next_cursor: string | null;
}

export interface RevokedKey {
  success: true;
  message: 'API key revoked successfully';
  id: string;
}

// -------------------------------------------------------- wire: usage

export interface UsageDay {
  /** YYYY-MM-DD, UTC. */
  date: string;
  /** = valid, for older clients. */
  count: number;
  valid: number;
  revoked: number;
  expired: number;
  team_banned: number;
  disabled: number;
  ip_not_allowed: number;
  insufficient_permissions: number;
  insufficient_scope: number;
  rate_limited: number;
  quota_exceeded: number;
  total: number;
}

export interface KeyUsage {
  key_id: string;
  /** Oldest first, today last. */
  days: UsageDay[];
}

export interface TeamUsage {
  days: UsageDay[];
}

export interface UsageOptions {
  /** 1 to 90, default 30. */
  days?: number;
}

// ------------------------------------------------------- wire: portal

export interface CreatePortalSessionParams {
  /** The team's id. */
  team: string;
  email: string;
  /** Default "developer". */
  role?: Role;
  return_url?: string;
}

export interface PortalSession {
  /** Works once, for 5 minutes: redirect the user's browser to it at once. */
  url: string;
  expires_at: Time;
}

// ----------------------------------------------------- wire: webhooks

export type WebhookEventType =
  | 'key.created'
  | 'key.revoked'
  | 'key.rolled'
  | 'key.expired'
  | 'key.leaked'
  | 'key.canary_used'
  | 'credits.low'
  | 'credits.exhausted'
  | 'team.banned'
  | 'member.added'
  | 'member.removed';

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  /** null: every team's events. */
  team: string | null;
  status: 'active' | 'failing';
  failing_since: Time | null;
  created_at: Time;
  /** whsec_…, in the answer of createWebhook only. */
  secret?: string;
}

export interface CreateWebhookParams {
  url: string;
  events: WebhookEventType[];
  /** A team's id or external id; left out, every team's events. */
  team?: string;
}

export interface DeletedWebhook {
  success: true;
  message: 'Webhook endpoint deleted';
  id: string;
}

export interface WebhookDelivery {
  /** The webhook-id header. */
  event_id: string;
  type: WebhookEventType;
  attempt: number;
  at: Time;
  /** null when no answer came. */
  status_code: number | null;
  latency_ms: number;
  error: string;
  outcome: 'delivered' | 'retrying' | 'failed';
}

export interface WebhookDeliveryPage {
  deliveries: WebhookDelivery[];
  next_cursor: string | null;
}

/** The body of a delivery. */
export interface WebhookEvent {
  type: WebhookEventType;
  timestamp: Time;
  data: {
    event_id: string;
    team_id: string;
    actor_type: 'user' | 'key' | 'system' | 'service_token' | 'anonymous';
    actor_id: string;
    target_type: string;
    target_id: string;
    request_id: string;
    ip: string;
    user_agent: string;
    details: Record<string, unknown>;
  };
}

// -------------------------------------------------------------- clients

/** The client of a customer who holds an API key. */
export class Pome {
  constructor(options: PomeOptions);
  /** GET /v1/me: who the key is. A success counts one use. */
  whoami(): Promise<Me>;
}

/** The client of a platform's backend, authenticated by a service token. */
export class PomePlatform {
  constructor(options: PomePlatformOptions);

  createTeam(params: CreateTeamParams): Promise<Team>;
  getTeam(teamId: string): Promise<Team>;
  /** null when no team has that external id. */
  findTeamByExternalId(externalId: string): Promise<Team | null>;
  updateTeam(teamId: string, params: UpdateTeamParams): Promise<Team>;

  createKey(teamId: string, params: CreateKeyParams): Promise<CreatedKey>;
  getKey(keyId: string): Promise<Key>;
  /** One page, newest first. */
  listKeys(teamId: string, options?: KeyPageOptions): Promise<KeyPage>;
  /** Every key, newest first, fetched a page of 100 at a time as you iterate. */
  keys(teamId: string, options?: KeyListOptions): AsyncGenerator<Key, void, undefined>;
  updateKey(keyId: string, params: UpdateKeyParams): Promise<Key>;
  revokeKey(keyId: string): Promise<RevokedKey>;
  rollKey(keyId: string, params?: RollKeyParams): Promise<RolledKey>;

  /** POST /v1/keys/verify. `requestId` is sent as X-Request-Id, for one id in both logs. */
  verify(params: VerifyParams, options?: { requestId?: string }): Promise<Verification>;

  /** POST /v1/keys/report-leak: an active key is revoked (key.leaked); the same answer whatever the key. */
  reportLeak(key: string): Promise<{ status: 'received' }>;

  keyUsage(keyId: string, options?: UsageOptions): Promise<KeyUsage>;
  teamUsage(teamId: string, options?: UsageOptions): Promise<TeamUsage>;

  createPortalSession(params: CreatePortalSessionParams): Promise<PortalSession>;

  createWebhook(params: CreateWebhookParams): Promise<Webhook & { secret: string }>;
  listWebhooks(): Promise<{ webhooks: Webhook[] }>;
  deleteWebhook(webhookId: string): Promise<DeletedWebhook>;
  /** One page of attempts, newest first, 50 a page. */
  listWebhookDeliveries(webhookId: string, options?: { cursor?: string }): Promise<WebhookDeliveryPage>;
  /** Every attempt, newest first, across pages. */
  webhookDeliveries(webhookId: string): AsyncGenerator<WebhookDelivery, void, undefined>;
}

// ---------------------------------------------------------- middlewares

export interface PomeMiddlewareOptions extends Omit<PomePlatformOptions, 'timeoutMs' | 'maxRetries' | 'maxRetryDelayMs'> {
  /** How long a valid answer is reused; default 5000, 0 turns the cache off. */
  cacheTtlMs?: number;
  /** Scopes every request's key must have, all of them. */
  scopes?: string[];
  /** Per verify call; default 5000. */
  timeoutMs?: number;
  /** Default 1. */
  maxRetries?: number;
  /** Default 1000. */
  maxRetryDelayMs?: number;
  /** Called when a request is answered 503 because the verify call failed; default: console.error of its message. */
  onError?: (error: PomeError | PomeConnectionError | Error) => void;
}

export interface WithPomeOptions extends PomeMiddlewareOptions {
  /** The client's address (a Request has none), for keys with allowed_cidrs. */
  clientIp?: (request: Request, ...rest: any[]) => string | undefined | Promise<string | undefined>;
}

/** A valid key's verification. */
export type PomeVerification = Verification & { valid: true; key: NonNullable<Verification['key']>; team: NonNullable<Verification['team']> };

/** The (req, res, next) middleware of Express and Connect; a valid key's verification is req.pome. */
export function pomeMiddleware(
  options: PomeMiddlewareOptions,
): (req: any, res: any, next: (error?: unknown) => void) => void;

/** Wraps a fetch handler: it is called with the verification after the request, then the framework's own arguments. */
export function withPome<Rest extends unknown[]>(
  handler: (request: Request, pome: PomeVerification, ...rest: Rest) => Response | Promise<Response>,
  options: WithPomeOptions,
): (request: Request, ...rest: Rest) => Promise<Response>;

// ------------------------------------------------------------- webhooks

/** A delivery whose signature or timestamp does not hold. */
export class WebhookVerificationError extends Error {
  readonly name: 'WebhookVerificationError';
}

/**
 * Checks a delivery's Standard Webhooks signature and returns its event.
 * `body` must be the raw body as received.
 */
export function verifyWebhook(
  secret: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: string | ArrayBuffer | ArrayBufferView,
  options?: { toleranceSeconds?: number; now?: Date },
): Promise<WebhookEvent>;
