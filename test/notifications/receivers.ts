/** A real SMTP server (smtp-server) and a real HTTP receiver (node:http) in the test process. */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export const SMTP_USER = 'mailer';
export const SMTP_PASS = 'mail-pass-1';

export interface SmtpSink {
  port: number;
  url: string;
  mails: ParsedMail[];
  /** Resolves with the first `count` mails matching `match`, or fails after the deadline. */
  waitFor(match: (mail: ParsedMail) => boolean, count?: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** The address a mail was sent to. */
export const toOf = (mail: ParsedMail) =>
  mail.to === undefined
    ? ''
    : [mail.to]
        .flat()
        .map((a) => a.value.map((v) => v.address).join(','))
        .join(',');

/** Listens on `port` (0: a free one). Needs AUTH with SMTP_USER/SMTP_PASS; offers STARTTLS (self-signed). */
export async function startSmtp(port = 0): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const events = new EventEmitter();
  const server = new SMTPServer({
    logger: false,
    allowInsecureAuth: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: SMTP_USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          events.emit('mail');
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${actual}/?tls.rejectUnauthorized=false`,
    mails,
    waitFor(match, count = 1, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.filter(match);
          if (found.length >= count) {
            cleanup();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${count} mail(s); got ${mails.filter(match).length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('mail', check);
        };
        events.on('mail', check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface HookReceiver {
  url: string;
  received: ReceivedHook[];
  /** The status the next requests get (200 by default); a function decides per request. */
  respond: (request: ReceivedHook) => number;
  waitFor(
    match: (hook: ReceivedHook) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<HookReceiver> {
  const events = new EventEmitter();
  const receiver: HookReceiver = {
    url: '',
    received: [],
    respond: () => 200,
    waitFor(match, count = 1, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = receiver.received.filter(match);
          if (found.length >= count) {
            cleanup();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out waiting for ${count} webhook(s); got ${receiver.received.filter(match).length}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('hook', check);
        };
        events.on('hook', check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const hook: ReceivedHook = {
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: 0,
      };
      hook.status = receiver.respond(hook);
      receiver.received.push(hook);
      response.writeHead(hook.status, { 'content-type': 'text/plain' }).end('ok');
      events.emit('hook');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
