// The admin API's error catalogue: every error a route can answer, with its stable code and HTTP
// status. Routes throw ApiError; the server's error handler writes the envelope
// {"message": "...", "error": {"code": "...", ...details}}.

export const API_ERRORS = {
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  /** PUT /binlog/purge `to` names no file of the relay's binlog index. */
  PURGE_TARGET_NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_LEADER: 503,
  NO_LEADER: 503,
  UNAVAILABLE: 503,
  /** This node cannot purge binlog files (the relay has no purge). */
  PURGE_UNAVAILABLE: 503,
  INTERNAL: 500,
  /** A forwarded call got an answer that is not the admin API's envelope. */
  LEADER_ANSWER_INVALID: 502,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = API_ERRORS[code];
  }
}
