import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { OneTimeSecretDialog } from '../components/OneTimeSecretDialog';
import {
  Checkbox,
  ConfirmDialog,
  Dialog,
  EmptyState,
  ErrorMessage,
  Loading,
  LoadMore,
  PageHeader,
  Time,
} from '../components/ui';
import { api } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { useOrg } from '../lib/session';
import type { CreatedWebhook, WebhookBody, WebhookDelivery, WebhookEndpoint } from '../lib/types';
import { covers, describeEvents, EVENT_GROUPS, EVERY_EVENT, normalizeEvents } from '../lib/webhooks';

const READONLY_ID = 'webhooks-readonly';

export function WebhooksPage() {
  const { org, can } = useOrg();
  const queryClient = useQueryClient();
  // The server lets a signed-in person manage endpoints only with both of these (as for the org policy).
  const manage = can('members:write') && can('roles:write');
  const readable = can('audit:read');
  const hooks = useQuery({
    queryKey: ['webhooks', org.id],
    queryFn: () => api.webhooks(org.id),
    enabled: readable,
  });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<WebhookEndpoint | null>(null);
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);

  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['webhooks', org.id] });
  const remove = useMutation({
    mutationFn: (hook: WebhookEndpoint) => api.deleteWebhook(org.id, hook.id),
    onSuccess: () => {
      setDeleting(null);
      refresh();
    },
  });

  return (
    <>
      <PageHeader
        title="Webhooks"
        actions={
          <button
            type="button"
            className="button button-primary"
            disabled={!manage}
            aria-describedby={manage ? undefined : READONLY_ID}
            onClick={() => setCreating(true)}
          >
            Add endpoint
          </button>
        }
      >
        <p className="muted">
          Latchkey sends a signed HTTP POST to these addresses when tokens, members or roles change.
        </p>
      </PageHeader>
      {!manage && (
        <p className="alert alert-warning" id={READONLY_ID}>
          Read only: adding, changing, testing and deleting endpoints needs the members:write and roles:write
          permissions.
        </p>
      )}
      {!readable ? (
        <p className="alert alert-warning">Listing webhook endpoints needs the audit:read permission.</p>
      ) : hooks.isPending ? (
        <Loading label="Loading endpoints…" />
      ) : hooks.isError ? (
        <ErrorMessage error={hooks.error} />
      ) : hooks.data.length === 0 ? (
        <EmptyState title="No webhook endpoints">
          <p className="muted">
            Add one to let another system react when a token is created, revoked or leaks.
          </p>
        </EmptyState>
      ) : (
        <ul className="role-list" aria-label="Webhook endpoints">
          {hooks.data.map((hook) => (
            <EndpointCard
              key={hook.id}
              hook={hook}
              manage={manage}
              onEdit={() => setEditing(hook)}
              onDelete={() => {
                remove.reset();
                setDeleting(hook);
              }}
              onChanged={refresh}
            />
          ))}
        </ul>
      )}

      {creating && (
        <EndpointDialog
          onClose={() => setCreating(false)}
          onSaved={(saved) => {
            setCreating(false);
            refresh();
            if ('secret' in saved) setCreated(saved as CreatedWebhook);
          }}
        />
      )}
      {editing && (
        <EndpointDialog
          hook={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            refresh();
          }}
        />
      )}
      {created && <SecretDialog created={created} onClose={() => setCreated(null)} />}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={deleting ? `Delete the endpoint ${deleting.url}?` : 'Delete endpoint'}
        body={
          <>
            <strong className="break">{deleting?.url}</strong> stops receiving events at once, and its pending
            deliveries are dropped. This cannot be undone.
          </>
        }
        confirmLabel="Delete endpoint"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </>
  );
}

function EndpointCard({
  hook,
  manage,
  onEdit,
  onDelete,
  onChanged,
}: {
  hook: WebhookEndpoint;
  manage: boolean;
  onEdit: () => void;
  onDelete: () => void;
  onChanged: () => void;
}) {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const [logOpen, setLogOpen] = useState(false);
  const [pinged, setPinged] = useState(false);
  const ping = useMutation({
    mutationFn: () => api.pingWebhook(org.id, hook.id),
    onSuccess: () => {
      setPinged(true);
      setLogOpen(true);
      void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', org.id, hook.id] });
    },
  });
  const toggle = useMutation({
    mutationFn: () => api.updateWebhook(org.id, hook.id, { enabled: !hook.enabled }),
    onSuccess: onChanged,
  });
  const describedBy = manage ? undefined : READONLY_ID;
  const logId = `log-${hook.id}`;
  const headingId = `hook-${hook.id}`;

  return (
    <li className="card role-card hook-card" data-webhook-id={hook.id} aria-labelledby={headingId}>
      <div className="role-head">
        <div className="hook-title">
          <h2 className="role-name hook-url" id={headingId}>
            {hook.url}
          </h2>
          {hook.description && <p className="muted">{hook.description}</p>}
        </div>
        <span className={hook.enabled ? 'status status-active' : 'status status-revoked'}>
          {hook.enabled ? 'enabled' : 'disabled'}
        </span>
      </div>
      {!hook.enabled && (
        <p className="alert alert-warning hook-disabled">
          <strong>This endpoint is disabled.</strong>{' '}
          {hook.disabledReason ? `Reason: ${hook.disabledReason}. ` : ''}No events are sent to it until it is
          enabled again.
        </p>
      )}
      <dl className="facts hook-facts">
        <div>
          <dt>Events</dt>
          <dd>
            {describeEvents(hook.events).map((e) => (
              <span key={e} className="perm-chip">
                {e}
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time iso={hook.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Endpoint id</dt>
          <dd className="mono">{hook.id}</dd>
        </div>
      </dl>
      <div className="row-buttons wrap">
        <button
          type="button"
          className="button button-small"
          disabled={!manage || ping.isPending}
          aria-describedby={describedBy}
          onClick={() => {
            setPinged(false);
            ping.mutate();
          }}
        >
          {ping.isPending ? 'Sending…' : 'Send test ping'}
        </button>
        <button
          type="button"
          className="button button-small"
          aria-expanded={logOpen}
          aria-controls={logId}
          onClick={() => setLogOpen((open) => !open)}
        >
          {logOpen ? 'Hide delivery log' : 'Delivery log'}
        </button>
        <button
          type="button"
          className="button button-small"
          disabled={!manage}
          aria-describedby={describedBy}
          onClick={onEdit}
          aria-label={`Edit ${hook.url}`}
        >
          Edit
        </button>
        <button
          type="button"
          className="button button-small"
          disabled={!manage || toggle.isPending}
          aria-describedby={describedBy}
          onClick={() => toggle.mutate()}
        >
          {hook.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          className="button button-small button-danger-ghost"
          disabled={!manage}
          aria-describedby={describedBy}
          onClick={onDelete}
          aria-label={`Delete ${hook.url}`}
        >
          Delete
        </button>
        <span role="status" aria-live="polite" className="success-text">
          {pinged ? 'Test ping queued.' : ''}
        </span>
      </div>
      <ErrorMessage error={ping.error ?? toggle.error} />
      {logOpen && <DeliveryLog hook={hook} id={logId} />}
    </li>
  );
}

const STATUS_CLASS: Record<string, string> = {
  sent: 'status status-active',
  pending: 'status status-expired',
  failed: 'status status-revoked',
  cancelled: 'status status-revoked',
};

function DeliveryLog({ hook, id }: { hook: WebhookEndpoint; id: string }) {
  const { org } = useOrg();
  const log = useInfiniteQuery({
    queryKey: ['webhook-deliveries', org.id, hook.id],
    queryFn: ({ pageParam }) => api.webhookDeliveries(org.id, hook.id, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // Follow pending deliveries until the worker is done with them.
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.items.some((d) => d.status === 'pending')) ? 1000 : false,
  });
  const rows = log.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section id={id} className="hook-log" aria-label={`Delivery log of ${hook.url}`}>
      <h3 className="hook-log-title">Delivery log</h3>
      {log.isPending ? (
        <Loading label="Loading deliveries…" />
      ) : log.isError ? (
        <ErrorMessage error={log.error} />
      ) : rows.length === 0 ? (
        <p className="muted">No deliveries yet. Send a test ping to try the endpoint.</p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label={`Deliveries to ${hook.url}`}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Response</th>
                <th scope="col">Attempts</th>
                <th scope="col">Queued</th>
                <th scope="col">Done / next try</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <DeliveryRow key={d.id} delivery={d} />
              ))}
            </tbody>
          </table>
          <LoadMore query={log} />
        </div>
      )}
    </section>
  );
}

function DeliveryRow({ delivery: d }: { delivery: WebhookDelivery }) {
  return (
    <tr data-delivery-id={d.id}>
      <td data-label="Event">
        <code>{d.event}</code>
        <div className="cell-sub muted mono break">{d.id}</div>
      </td>
      <td data-label="Status">
        <span className={STATUS_CLASS[d.status] ?? 'status'}>{d.status}</span>
        {d.lastError && <div className="cell-sub field-error">{d.lastError}</div>}
      </td>
      <td data-label="Response">{d.responseCode ?? <span className="muted">—</span>}</td>
      <td data-label="Attempts">{d.attempts}</td>
      <td data-label="Queued">
        <Time iso={d.createdAt} />
      </td>
      <td data-label="Done / next try">
        {d.doneAt ? (
          <time dateTime={d.doneAt}>{absoluteTime(d.doneAt)}</time>
        ) : d.nextAttemptAt ? (
          <span>
            next try <Time iso={d.nextAttemptAt} />
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

interface EndpointForm {
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
}

function checkUrl(value: string): true | string {
  const v = value.trim();
  if (!v) return 'Enter the address Latchkey should POST events to.';
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    return `"${v}" is not a URL. Write it in full, e.g. https://example.com/hooks/latchkey.`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return 'The URL must start with https:// or http://.';
  if (v.length > 2000) return 'The URL is longer than 2000 characters.';
  return true;
}

/** Adds an endpoint (no `hook`) or changes one. */
function EndpointDialog({
  hook,
  onClose,
  onSaved,
}: {
  hook?: WebhookEndpoint;
  onClose: () => void;
  onSaved: (saved: WebhookEndpoint | CreatedWebhook) => void;
}) {
  const { org } = useOrg();
  const { register, handleSubmit, control, formState } = useForm<EndpointForm>({
    defaultValues: {
      url: hook?.url ?? '',
      description: hook?.description ?? '',
      events: hook?.events ?? [],
      enabled: hook?.enabled ?? true,
    },
  });
  const { errors } = formState;
  const save = useMutation({
    mutationFn: (values: EndpointForm) => {
      const body: WebhookBody = { url: values.url.trim(), events: normalizeEvents(values.events) };
      if (!hook) {
        if (values.description.trim()) body.description = values.description.trim();
        return api.createWebhook(org.id, body);
      }
      return api.updateWebhook(org.id, hook.id, {
        ...body,
        description: values.description.trim(),
        enabled: values.enabled,
      });
    },
    onSuccess: onSaved,
  });
  const title = hook ? 'Edit webhook endpoint' : 'Add webhook endpoint';
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={title}
      description="Latchkey signs every request with this endpoint's secret (the Latchkey-Signature header)."
      wide
    >
      <form onSubmit={handleSubmit((values) => save.mutate(values))} noValidate aria-label={title}>
        <div className="field">
          <label htmlFor="hook-url">Endpoint URL</label>
          <input
            id="hook-url"
            type="url"
            autoComplete="off"
            placeholder="https://example.com/hooks/latchkey"
            aria-invalid={errors.url ? true : undefined}
            aria-describedby={errors.url ? 'hook-url-error' : undefined}
            {...register('url', { validate: checkUrl })}
          />
          {errors.url && (
            <p className="field-error" id="hook-url-error">
              {errors.url.message}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="hook-description">
            Description <span className="muted">(optional)</span>
          </label>
          <input
            id="hook-description"
            autoComplete="off"
            {...register('description', { maxLength: { value: 500, message: 'At most 500 characters.' } })}
          />
          {errors.description && <p className="field-error">{errors.description.message}</p>}
        </div>
        <Controller
          control={control}
          name="events"
          rules={{ validate: (v) => v.length > 0 || 'Pick at least one event type.' }}
          render={({ field }) => (
            <EventPicker value={field.value} onChange={field.onChange} invalid={Boolean(errors.events)} />
          )}
        />
        {errors.events && (
          <p className="field-error" id="hook-events-error">
            {errors.events.message}
          </p>
        )}
        {hook && (
          <Controller
            control={control}
            name="enabled"
            render={({ field }) => (
              <Checkbox
                id="hook-enabled"
                checked={field.value}
                onCheckedChange={field.onChange}
                label="Enabled"
                hint={
                  hook.enabled
                    ? 'Turn off to stop deliveries without deleting the endpoint.'
                    : `Disabled${hook.disabledReason ? ` (reason: ${hook.disabledReason})` : ''}. Turn on to resume deliveries.`
                }
              />
            )}
          />
        )}
        <ErrorMessage error={save.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : hook ? 'Save endpoint' : 'Add endpoint'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EventPicker({
  value,
  onChange,
  invalid,
}: {
  value: string[];
  onChange: (next: string[]) => void;
  invalid: boolean;
}) {
  const set = (key: string, on: boolean) =>
    onChange(on ? [...value.filter((v) => v !== key), key] : value.filter((v) => v !== key));
  const everything = value.includes(EVERY_EVENT);
  return (
    <fieldset
      className="field hook-events"
      aria-describedby={invalid ? 'hook-events-error' : undefined}
      aria-invalid={invalid ? true : undefined}
    >
      <legend>Events</legend>
      <Checkbox
        id="hook-ev-all"
        checked={everything}
        onCheckedChange={(on) => set(EVERY_EVENT, on)}
        label="Every event"
        hint="Includes event types added to Latchkey later (subscribes to *)."
      />
      <div className="hook-groups">
        {EVENT_GROUPS.map((group) => {
          const groupOn = everything || value.includes(group.all);
          const slug = group.all.slice(0, -2);
          return (
            <fieldset key={group.all} className="perm-group" disabled={everything}>
              <legend>{group.label}</legend>
              <Checkbox
                id={`hook-ev-${slug}-all`}
                checked={groupOn}
                disabled={everything}
                onCheckedChange={(on) => set(group.all, on)}
                label={
                  <>
                    All {group.noun} events <code>{group.all}</code>
                  </>
                }
              />
              {group.events.map((event) => (
                <Checkbox
                  key={event.type}
                  id={`hook-ev-${event.type.replace(/[^a-z]/g, '-')}`}
                  checked={covers(value, event.type)}
                  disabled={groupOn}
                  onCheckedChange={(on) => set(event.type, on)}
                  label={
                    <>
                      {event.label} <code>{event.type}</code>
                    </>
                  }
                />
              ))}
            </fieldset>
          );
        })}
      </div>
    </fieldset>
  );
}

/** The signing secret, shown once; closing before it was copied asks first (like the token reveal). */
function SecretDialog({ created, onClose }: { created: CreatedWebhook; onClose: () => void }) {
  return (
    <OneTimeSecretDialog
      title="Endpoint added"
      description={
        <>
          Deliveries to <span className="break">{created.url}</span> are signed with this secret.
        </>
      }
      warning={
        <>
          <strong>This signing secret will not be shown again.</strong> Store it with the receiving
          application now; it checks the Latchkey-Signature header with it. If you lose it, delete the
          endpoint and add it again.
        </>
      }
      label="Signing secret"
      inputId="hook-secret"
      value={created.secret}
      confirmId="secret-close-text"
      confirmText="You have not copied the signing secret. Once closed, it is gone for good. Close anyway?"
      closeAnywayLabel="Close without copying"
      onClose={onClose}
    />
  );
}
