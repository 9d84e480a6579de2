// Optional bearer tokens with a read and a write scope. A scope without a configured token is open;
// the write token also reads. Tokens are compared in constant time (as SHA-256 digests, so neither
// their length nor their content shows in the timing).

import { createHash, timingSafeEqual } from 'node:crypto';
import { IncomingMessage } from 'node:http';

import { NextFunction, Request, RequestHandler, Response } from 'express';

import { HttpError } from './errors';

export type Scope = 'read' | 'write';

export interface Tokens {
  read?: string;
  write?: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Every credential the request offers, in the forms clients send: `Authorization: Bearer <t>`,
 * `Token <t>` (InfluxDB 2.x; also `Token user:<t>` from InfluxDB 1.8 client libraries), `Basic`
 * with the token as password (Telegraf's InfluxDB 1.x output), and `?p=<t>` (InfluxDB 1.x).
 */
export function credentials(req: IncomingMessage): string[] {
  const out: string[] = [];
  const header = req.headers.authorization;
  if (header) {
    const m = /^\s*(\S+)\s+(.+?)\s*$/.exec(header);
    const scheme = m?.[1].toLowerCase();
    const value = m?.[2] ?? '';
    if (scheme === 'bearer') out.push(value);
    if (scheme === 'token') out.push(value, value.slice(value.indexOf(':') + 1));
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      out.push(colon >= 0 ? decoded.slice(colon + 1) : decoded);
    }
  }
  const url = req.url ?? '';
  const query = url.indexOf('?');
  if (query >= 0) {
    const p = new URLSearchParams(url.slice(query + 1)).get('p');
    if (p) out.push(p);
  }
  return out;
}

export class TokenChecker {
  private readonly read?: Buffer;
  private readonly write?: Buffer;

  constructor(tokens: Tokens) {
    if (tokens.read) this.read = digest(tokens.read);
    if (tokens.write) this.write = digest(tokens.write);
  }

  /** Scopes that anyone may use, for the start-up warning. */
  openScopes(): Scope[] {
    const open: Scope[] = [];
    if (!this.read) open.push('read');
    if (!this.write) open.push('write');
    return open;
  }

  /** @throws HttpError UNAUTHORIZED (no or unknown token) or FORBIDDEN (a read token on a write endpoint) */
  check(req: IncomingMessage, scope: Scope): void {
    const required = scope === 'read' ? this.read : this.write;
    if (!required) return;
    let knownRead = false;
    for (const candidate of credentials(req)) {
      const d = digest(candidate);
      if (this.write && timingSafeEqual(d, this.write)) return;
      if (scope === 'read' && timingSafeEqual(d, required)) return;
      if (this.read && timingSafeEqual(d, this.read)) knownRead = true;
    }
    if (knownRead) throw new HttpError('FORBIDDEN', `this endpoint needs the ${scope} scope; the token given has only the read scope`);
    const offered = credentials(req).length > 0;
    throw new HttpError(
      'UNAUTHORIZED',
      offered ? `the token is not valid for the ${scope} scope` : `this endpoint needs a token with the ${scope} scope: send "Authorization: Bearer <token>"`,
      undefined,
      { 'WWW-Authenticate': 'Bearer realm="sensorstore"' },
    );
  }

  middleware(scope: Scope): RequestHandler {
    return (req: Request, _res: Response, next: NextFunction) => {
      this.check(req, scope);
      next();
    };
  }
}
