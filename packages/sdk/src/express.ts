import type { NextFunction, Request, Response } from 'express';
import { authorizeRequest, type RequireTokenOptions } from './middleware.ts';
import type { VerifiedToken } from './types.ts';

declare global {
  namespace Express {
    interface Request {
      /** The token verified by `requireToken()`. */
      latchkey?: VerifiedToken;
    }
  }
}

/**
 * Options of the Express `requireToken()`; getters receive the Express `Request`.
 *
 * @example
 * const options: ExpressRequireTokenOptions = { client: latchkey, permission: 'accounts:read' };
 */
export type ExpressRequireTokenOptions = RequireTokenOptions<Request>;

/**
 * Express middleware that lets a request through only with a valid `Authorization: Bearer` token
 * allowed the permission (and resource). It answers 401 with `WWW-Authenticate: Bearer` for a
 * missing or bad token, 403 for a missing permission or resource, in the
 * `{error: {code, message, details}}` envelope, and puts the verified token on `req.latchkey` and
 * `res.locals.latchkey`. The client address defaults to `req.ip` (mind `trust proxy`).
 *
 * @example
 * import express from 'express';
 * import { Latchkey } from '@latchkey/sdk';
 * import { requireToken } from '@latchkey/sdk/express';
 *
 * const latchkey = new Latchkey({ baseUrl: 'http://127.0.0.1:4000', token: process.env.LATCHKEY_TOKEN, cache: true });
 * const app = express();
 * app.get('/accounts/:id', requireToken({ client: latchkey, permission: 'accounts:read' }), (req, res) => {
 *   res.json({ caller: req.latchkey?.id });
 * });
 */
export function requireToken(
  options: ExpressRequireTokenOptions,
): (req: Request, res: Response, next: NextFunction) => void {
  return function latchkeyRequireToken(req, res, next) {
    const ip = options.ip ? options.ip(req) : req.ip;
    authorizeRequest(options, req.headers.authorization, req, ip).then((outcome) => {
      if (outcome.ok) {
        req.latchkey = outcome.token;
        res.locals.latchkey = outcome.token;
        next();
        return;
      }
      res.status(outcome.status).set(outcome.headers).json(outcome.body);
    }, next);
  };
}

export type { RequireTokenOptions, ValueOrGetter } from './middleware.ts';
