import * as CheckboxPrimitive from '@radix-ui/react-checkbox';
import * as DialogPrimitive from '@radix-ui/react-dialog';
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { type ReactNode, type Ref, useEffect, useState } from 'react';
import { LatchkeyError } from '../lib/api';
import { absoluteTime, relativeTime } from '../lib/format';

export function errorText(error: unknown): string {
  // Status 0: no answer at all (offline, server down); the SDK's message names the URL and the fetch error.
  if (error instanceof LatchkeyError && error.status === 0)
    return 'Could not reach the Latchkey server. Check your connection.';
  if (error instanceof LatchkeyError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/**
 * The API's error message, announced to screen readers, with its field problems (`details.fields`) listed
 * when there are several; one problem is the message itself, so it is not said twice.
 */
export function ErrorMessage({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const message = errorText(error);
  const details =
    error instanceof LatchkeyError ? detailLines(error.details).filter((line) => line !== message) : [];
  return (
    <div className="alert alert-error" role="alert" id={id}>
      <p>{message}</p>
      {details.length > 0 && (
        <ul>
          {details.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function detailLines(details: unknown): string[] {
  if (!details || typeof details !== 'object') return [];
  const record = details as { fields?: unknown; issues?: unknown };
  const list = Array.isArray(details)
    ? details
    : Array.isArray(record.fields)
      ? record.fields
      : Array.isArray(record.issues)
        ? record.issues
        : [];
  return list
    .map((item) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'object' && item !== null) {
        const msg = (item as Record<string, unknown>).message;
        if (typeof msg === 'string') return msg;
      }
      return '';
    })
    .filter((s) => s.length > 0)
    .slice(0, 5);
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Time({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

/**
 * Where a dialog's focus starts unless it says otherwise: its first field, so typing goes somewhere; without
 * fields its first action (Cancel comes first in a confirmation, so Enter never destroys by accident);
 * the close button only when there is nothing else.
 */
function focusFirstField(event: Event) {
  const content = event.currentTarget instanceof HTMLElement ? event.currentTarget : null;
  const target =
    content?.querySelector<HTMLElement>(
      'input:not([type="hidden"]):not([disabled]):not([readonly]), select:not([disabled]), textarea:not([disabled])',
    ) ?? content?.querySelector<HTMLElement>('.dialog-actions button:not([disabled])');
  if (!target) return;
  event.preventDefault();
  target.focus();
}

export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  wide,
  onEscapeKeyDown,
  onInteractOutside,
  onOpenAutoFocus,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  wide?: boolean;
  onEscapeKeyDown?: (event: KeyboardEvent) => void;
  onInteractOutside?: (event: Event) => void;
  /** Where focus goes on opening: call `event.preventDefault()` and focus it (else the first control). */
  onOpenAutoFocus?: (event: Event) => void;
}) {
  return (
    <DialogPrimitive.Root open={open} onOpenChange={onOpenChange}>
      <DialogPrimitive.Portal>
        <DialogPrimitive.Overlay className="dialog-overlay" />
        <DialogPrimitive.Content
          className={wide ? 'dialog dialog-wide' : 'dialog'}
          onEscapeKeyDown={onEscapeKeyDown}
          onInteractOutside={onInteractOutside}
          onOpenAutoFocus={onOpenAutoFocus ?? focusFirstField}
          {...(description ? {} : { 'aria-describedby': undefined })}
        >
          <div className="dialog-head">
            <DialogPrimitive.Title className="dialog-title">{title}</DialogPrimitive.Title>
            <DialogPrimitive.Close className="icon-button" aria-label="Close">
              <span aria-hidden="true">×</span>
            </DialogPrimitive.Close>
          </div>
          {description && (
            <DialogPrimitive.Description className="dialog-description">
              {description}
            </DialogPrimitive.Description>
          )}
          {children}
        </DialogPrimitive.Content>
      </DialogPrimitive.Portal>
    </DialogPrimitive.Root>
  );
}

/** A confirmation dialog for a destructive action; shows the API's error if it fails. */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  body,
  confirmLabel,
  onConfirm,
  pending,
  error,
  children,
  confirmDisabled = false,
  onOpenAutoFocus,
  tone = 'danger',
  pendingLabel = 'Working…',
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  pending: boolean;
  error: unknown;
  children?: ReactNode;
  confirmDisabled?: boolean;
  onOpenAutoFocus?: (event: Event) => void;
  /** `danger` for what cannot be undone; `primary` for a step that is safe to take. */
  tone?: 'danger' | 'primary';
  /** The confirm button's text while the action runs. */
  pendingLabel?: string;
}) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={title}
      description={body}
      onOpenAutoFocus={onOpenAutoFocus}
    >
      {children}
      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={() => onOpenChange(false)}>
          Cancel
        </button>
        <button
          type="button"
          className={`button button-${tone}`}
          onClick={onConfirm}
          disabled={pending || confirmDisabled}
        >
          {pending ? pendingLabel : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

export function Checkbox({
  id,
  checked,
  onCheckedChange,
  disabled,
  label,
  hint,
  describedBy,
  tabIndex,
  onFocus,
}: {
  id: string;
  checked: boolean;
  onCheckedChange: (checked: boolean) => void;
  disabled?: boolean;
  label: ReactNode;
  hint?: ReactNode;
  describedBy?: string;
  /** -1 keeps it out of the Tab order (a group that moves with arrow keys). */
  tabIndex?: number;
  onFocus?: () => void;
}) {
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className={disabled ? 'check check-disabled' : 'check'}>
      <CheckboxPrimitive.Root
        id={id}
        className="checkbox"
        checked={checked}
        onCheckedChange={(value) => onCheckedChange(value === true)}
        disabled={disabled}
        tabIndex={tabIndex}
        onFocus={onFocus}
        aria-describedby={[hintId, describedBy].filter(Boolean).join(' ') || undefined}
      >
        <CheckboxPrimitive.Indicator className="checkbox-indicator">
          <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
            <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="2.2" />
          </svg>
        </CheckboxPrimitive.Indicator>
      </CheckboxPrimitive.Root>
      <div className="check-text">
        <label htmlFor={id}>{label}</label>
        {hint && (
          <span className="hint" id={hintId}>
            {hint}
          </span>
        )}
      </div>
    </div>
  );
}

/** Copies text with the Clipboard API, falling back to a hidden textarea + execCommand. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the fallback
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export function CopyButton({
  text,
  label = 'Copy',
  onCopied,
  className = 'button',
  buttonRef,
}: {
  text: string;
  label?: string;
  onCopied?: () => void;
  className?: string;
  buttonRef?: Ref<HTMLButtonElement>;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 4000);
    return () => window.clearTimeout(timer);
  }, [state]);
  return (
    <>
      <button
        type="button"
        className={className}
        ref={buttonRef}
        onClick={async () => {
          const ok = await copyText(text);
          setState(ok ? 'copied' : 'failed');
          if (ok) onCopied?.();
        }}
      >
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span className="sr-only" role="status" aria-live="polite">
        {state === 'copied'
          ? 'Copied to the clipboard'
          : state === 'failed'
            ? 'Copy failed: select the text and copy it by hand'
            : ''}
      </span>
      {state === 'failed' && <span className="hint">Copy failed: select the value and copy it by hand.</span>}
    </>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function PageHeader({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {children}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** The "⋯" actions menu of a table row; `children` are its DropdownMenu items. */
export function RowMenu({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger className="icon-button" aria-label={label}>
        <span aria-hidden="true">⋯</span>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
          {children}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/** "Load more" under a list read page by page (a TanStack infinite query), while there are more pages. */
export function LoadMore({
  query,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
}) {
  if (!query.hasNextPage) return null;
  return (
    <button
      type="button"
      className="button load-more"
      onClick={() => void query.fetchNextPage()}
      disabled={query.isFetchingNextPage}
    >
      {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
    </button>
  );
}

/** A short confirmation that goes away by itself (a polite live region: read without moving focus). */
export function Toast({ message, onDone }: { message: string | null; onDone: () => void }) {
  useEffect(() => {
    if (!message) return;
    const timer = window.setTimeout(onDone, 6000);
    return () => window.clearTimeout(timer);
  }, [message, onDone]);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {message && (
        <div className="toast">
          <span>{message}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDone}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
      )}
    </div>
  );
}
