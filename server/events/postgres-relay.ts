import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import type { Verifier } from '../verify/verifier.ts';
import type { EventRelay, TokenEvent, TokenEvents } from './token-events.ts';

const CHANNEL = 'latchkey_events';

interface RelayMessage {
  origin: string;
  event?: TokenEvent;
  limit?: { key: string; until: number };
  /** The stored hash (HMAC) of a value just issued: the others add it to their membership filters. */
  issued?: string;
}
const MAX_BACKOFF_MS = 5_000;

/**
 * Several `latchkey serve` processes on one PostgreSQL tell each other about changes with NOTIFY, and each
 * LISTENs on a connection of its own. While that connection is down this process cannot know what the
 * others changed, so its verify cache is off (every verification reads the database) until it listens
 * again, and it starts again from an empty cache.
 */
export class PostgresEventRelay implements EventRelay {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs = 100;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Lets a process ignore its own notifications, which it has applied already. */
  private readonly origin = randomUUID();
  connected = false;
  reconnects = 0;
  /** Receives "this key reached its rate limit until …" from other processes. */
  onLimitReached: ((key: string, until: number) => void) | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly pool: pg.Pool,
    private readonly events: TokenEvents,
    private readonly verifier: Verifier,
    private readonly log: FastifyBaseLogger,
  ) {
    verifier.announceIssued = (hash) => this.notify({ origin: this.origin, issued: hash });
    verifier.confirmUnknown = () => this.sync();
  }

  private syncing: Promise<boolean> | null = null;
  private nextSync: Promise<boolean> | null = null;

  /**
   * Resolves true once every notification committed before the call has been received: a round trip on
   * the listening connection (PostgreSQL sends pending notifications before the answer). Callers share
   * round trips: one waiting to be sent takes everyone who comes before it is sent. False when not
   * listening (then nothing can be known from notifications).
   */
  sync(): Promise<boolean> {
    if (this.nextSync !== null) return this.nextSync;
    if (this.syncing === null) {
      this.syncing = this.roundTrip().finally(() => {
        this.syncing = null;
      });
      return this.syncing;
    }
    const next = this.syncing.then(() => {
      this.nextSync = null;
      return this.sync();
    });
    this.nextSync = next;
    return next;
  }

  private async roundTrip(): Promise<boolean> {
    const client = this.client;
    if (client === null || !this.connected) return false;
    try {
      await client.query('select 1');
      return this.client === client && this.connected;
    } catch {
      return false;
    }
  }

  /** Listens before the server answers anything; if the database is not there yet, keeps trying. */
  async start(): Promise<void> {
    this.verifier.setCaching(false);
    try {
      await this.connect();
    } catch (error) {
      this.log.warn({ err: error }, 'event listener could not connect; verify cache off until it does');
      this.scheduleReconnect();
    }
  }

  publish(event: TokenEvent): void {
    void this.notify({ origin: this.origin, event });
  }

  publishLimitReached(key: string, until: number): void {
    void this.notify({ origin: this.origin, limit: { key, until } });
  }

  /** Resolves once the notification is committed (queued for every listener), never rejects. */
  private notify(message: RelayMessage): Promise<void> {
    const payload = JSON.stringify(message);
    return this.pool.query('select pg_notify($1, $2)', [CHANNEL, payload]).then(
      () => {},
      (error: unknown) => {
        // The change is committed; other processes would miss it, so their caches must not outlive this.
        this.log.error({ err: error }, 'could not notify other processes of a change');
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'latchkey-listener',
    });
    client.on('notification', (message) => this.onNotification(message));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
    this.connected = true;
    this.backoffMs = 100;
    // Whatever was published while nobody listened is unknown: start from an empty cache, and build the
    // membership filter again from the database (values issued from now on arrive as notifications).
    this.verifier.setCaching(true);
    this.log.info('listening for changes made by other processes');
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    this.connected = false;
    this.verifier.setCaching(false);
    client.end().catch(() => {});
    if (this.stopped) return;
    this.log.warn({ err: error }, 'event listener connection lost; verify cache off until it is back');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnects++;
      this.connect().catch((error) => {
        this.log.warn({ err: error }, 'event listener reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private onNotification(message: pg.Notification): void {
    if (message.channel !== CHANNEL || message.payload === undefined) return;
    try {
      const parsed = JSON.parse(message.payload) as RelayMessage;
      if (parsed.origin === this.origin) return;
      if (parsed.event) this.events.receive(parsed.event);
      if (parsed.limit) this.onLimitReached?.(parsed.limit.key, parsed.limit.until);
      if (typeof parsed.issued === 'string') this.verifier.addIssued(parsed.issued);
    } catch (error) {
      this.log.warn({ err: error }, 'ignored an unreadable change notification');
    }
  }
}
