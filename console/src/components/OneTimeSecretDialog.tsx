import { type ReactNode, useEffect, useRef, useState } from 'react';
import { CopyButton, Dialog } from './ui';

/**
 * A secret shown exactly once (a token value, a webhook signing secret): a warning, the value in a
 * read-only field with a copy button (focused on opening, so Enter copies), then `children`. Escape, the
 * close button, a click outside and "Done" close at once only when the value was copied or
 * `savedElsewhere`; otherwise they ask first.
 */
export function OneTimeSecretDialog({
  title,
  description,
  warning,
  label,
  inputId,
  value,
  savedElsewhere = false,
  confirmId,
  confirmText,
  closeAnywayLabel,
  onClose,
  children,
}: {
  title: string;
  description: ReactNode;
  /** The text of the warning above the value. */
  warning: ReactNode;
  label: string;
  inputId: string;
  value: string;
  /** The value was saved some other way (downloaded, e-mailed). */
  savedElsewhere?: boolean;
  confirmId: string;
  /** The question asked when closing before the value was saved. */
  confirmText: ReactNode;
  closeAnywayLabel: string;
  onClose: () => void;
  children?: ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const goBackRef = useRef<HTMLButtonElement>(null);
  const copyRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) goBackRef.current?.focus();
  }, [confirming]);
  const requestClose = () => {
    if (copied || savedElsewhere) onClose();
    else setConfirming(true);
  };
  return (
    <Dialog
      open
      onOpenChange={(open) => {
        if (!open) requestClose();
      }}
      onInteractOutside={(event) => {
        event.preventDefault();
        requestClose();
      }}
      onOpenAutoFocus={(event) => {
        event.preventDefault();
        copyRef.current?.focus();
      }}
      title={title}
      description={description}
    >
      <div className="alert alert-warning">
        <p>{warning}</p>
      </div>
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        <div className="reveal-row">
          <input
            id={inputId}
            className="mono reveal-value"
            readOnly
            value={value}
            onFocus={(event) => event.currentTarget.select()}
            spellCheck={false}
          />
          <CopyButton
            text={value}
            onCopied={() => setCopied(true)}
            className="button button-primary"
            buttonRef={copyRef}
          />
        </div>
      </div>
      {children}
      {confirming ? (
        <div className="alert alert-error confirm-close" role="alertdialog" aria-labelledby={confirmId}>
          <p id={confirmId}>{confirmText}</p>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)} ref={goBackRef}>
              Go back
            </button>
            <button type="button" className="button button-danger" onClick={onClose}>
              {closeAnywayLabel}
            </button>
          </div>
        </div>
      ) : (
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={requestClose}>
            Done
          </button>
        </div>
      )}
    </Dialog>
  );
}
