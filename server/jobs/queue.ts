import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { newId } from '../ids.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { insertPendingJob } from './jobs.repository.ts';
import type { Sealer } from './seal.ts';
import { signalJobs } from './signal.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Queues a mail, in the caller's transaction when given one. Its content is sealed (an invitation holds
 * the invite secret) and emptied once the mail is sent. Mails holding a token's value are never queued:
 * they are sent directly by the request that has the value (tokens.service.ts).
 */
export async function queueMail(
  db: Db,
  sealer: Sealer,
  message: MailMessage,
  now = Date.now(),
): Promise<string> {
  if (message.kind === 'token.value') throw new Error('a token value is never queued');
  const id = `job_${newId('evt').slice(4)}`;
  await insertPendingJob(
    db,
    {
      id,
      kind: 'mail',
      orgId: message.orgId ?? null,
      endpointId: null,
      eventType: message.kind ?? 'mail',
      payload: sealer.seal(JSON.stringify(message)),
    },
    now,
  );
  signalJobs();
  return id;
}
