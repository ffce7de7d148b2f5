import type { Verifier } from '../verify/verifier.ts';

export type TokenEvent =
  | { type: 'token.revoked' | 'token.rotated' | 'token.changed'; orgId: string; tokenId: string }
  | { type: 'org.changed'; orgId: string }
  | { type: 'resources.changed'; orgId: string };

type Listener = (event: TokenEvent) => void;

/** Carries events to the other processes sharing the database (PostgreSQL LISTEN/NOTIFY). */
export interface EventRelay {
  publish(event: TokenEvent): void;
}

/**
 * Every change that can alter a verification goes through here: the local verify cache is cleared
 * synchronously (before the change's request answers), then subscribers (the SSE stream) are told.
 */
export class TokenEvents {
  private readonly listeners = new Set<Listener>();
  relay: EventRelay | undefined;

  constructor(private readonly verifier: Verifier) {}

  /** A change made by this process: applied here at once, then told to the other processes. */
  publish(event: TokenEvent): void {
    this.receive(event);
    this.relay?.publish(event);
  }

  /** A change made here or by another process. */
  receive(event: TokenEvent): void {
    this.apply(event);
    for (const listener of this.listeners) listener(event);
  }

  private apply(event: TokenEvent): void {
    if (event.type === 'org.changed') this.verifier.invalidateOrg(event.orgId);
    else if (event.type === 'resources.changed') this.verifier.invalidateOrgResources(event.orgId);
    else this.verifier.invalidateToken(event.tokenId);
  }

  tokenRevoked(orgId: string, tokenId: string): void {
    this.publish({ type: 'token.revoked', orgId, tokenId });
  }

  tokenRotated(orgId: string, tokenId: string): void {
    this.publish({ type: 'token.rotated', orgId, tokenId });
  }

  tokenChanged(orgId: string, tokenId: string): void {
    this.publish({ type: 'token.changed', orgId, tokenId });
  }

  orgChanged(orgId: string): void {
    this.publish({ type: 'org.changed', orgId });
  }

  resourcesChanged(orgId: string): void {
    this.publish({ type: 'resources.changed', orgId });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
