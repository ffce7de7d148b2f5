import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { CopyButton, ErrorMessage, Loading, Time } from '../components/ui';
import { twoFactorApi } from '../lib/account-api';
import { sessionKey } from '../lib/session';

const statusKey = ['two-factor'] as const;

/** Account page: set up an authenticator app (QR code, typed code, recovery codes shown once) or turn it off. */
export function TwoFactorSection() {
  const status = useQuery({ queryKey: statusKey, queryFn: twoFactorApi.status });
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <section className="card section" aria-labelledby="account-two-factor">
      <h2 id="account-two-factor">Two-factor authentication</h2>
      {codes ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
      ) : status.isPending ? (
        <Loading />
      ) : status.isError ? (
        <ErrorMessage error={status.error} />
      ) : status.data.enabled ? (
        <Enabled enabledAt={status.data.enabledAt} left={status.data.recoveryCodesLeft} />
      ) : (
        <Enrol onEnabled={setCodes} />
      )}
    </section>
  );
}

function Enrol({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const queryClient = useQueryClient();
  const start = useMutation({ mutationFn: twoFactorApi.enrol });
  const { register, handleSubmit, formState } = useForm<{ code: string }>({ defaultValues: { code: '' } });
  const confirm = useMutation({
    mutationFn: (code: string) => twoFactorApi.confirm(code),
    onSuccess: async (answer) => {
      onEnabled(answer.recoveryCodes);
      await queryClient.invalidateQueries({ queryKey: statusKey });
      await queryClient.invalidateQueries({ queryKey: sessionKey });
    },
  });
  if (!start.data) {
    return (
      <>
        <p className="muted">
          Off. With it on, signing in also asks for a code from an authenticator app (1Password, Google
          Authenticator, Aegis …).
        </p>
        <ErrorMessage error={start.error} />
        <button
          type="button"
          className="button button-primary"
          disabled={start.isPending}
          onClick={() => start.mutate()}
        >
          Set up two-factor authentication
        </button>
      </>
    );
  }
  return (
    <form onSubmit={handleSubmit((values) => confirm.mutate(values.code))} noValidate>
      <p>Scan this code with your authenticator app, then type the 6-digit code it shows.</p>
      <img
        className="qr-code"
        alt="QR code for your authenticator app"
        src={`data:image/svg+xml;base64,${btoa(start.data.qrSvg)}`}
      />
      <p className="muted">
        Cannot scan? Enter this key by hand: <code data-testid="totp-secret">{start.data.secret}</code>
      </p>
      <div className="field">
        <label htmlFor="totp-code">Code from the app</label>
        <input
          id="totp-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          aria-invalid={formState.errors.code ? true : undefined}
          {...register('code', {
            required: 'Type the code your app shows.',
            pattern: { value: /^\s*\d{6}\s*$/, message: 'The code has 6 digits.' },
          })}
        />
        {formState.errors.code && <p className="field-error">{formState.errors.code.message}</p>}
      </div>
      <ErrorMessage error={confirm.error} />
      <button type="submit" className="button button-primary" disabled={confirm.isPending}>
        Turn on
      </button>
    </form>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const text = `Latchkey recovery codes (each works once)\n\n${codes.join('\n')}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'latchkey-recovery-codes.txt';
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <p role="status">
        Two-factor authentication is on. Keep these recovery codes somewhere safe: each signs you in once if
        you lose your app. They are shown only now.
      </p>
      <ul className="plain-list recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <p className="row-actions">
        <CopyButton text={codes.join('\n')} label="Copy the codes" />
        <button type="button" className="button" onClick={download}>
          Download
        </button>
        <button type="button" className="button button-primary" onClick={onDone}>
          I saved them
        </button>
      </p>
    </>
  );
}

function Enabled({ enabledAt, left }: { enabledAt: string | null; left: number }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const { register, handleSubmit, formState } = useForm<{ password: string; code: string }>({
    defaultValues: { password: '', code: '' },
  });
  const disable = useMutation({
    mutationFn: twoFactorApi.disable,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: statusKey });
      await queryClient.invalidateQueries({ queryKey: sessionKey });
    },
  });
  return (
    <>
      <p>
        <span className="badge">on</span> since <Time iso={enabledAt} />. {left} recovery code
        {left === 1 ? '' : 's'} left.
      </p>
      {!open ? (
        <button type="button" className="button" onClick={() => setOpen(true)}>
          Turn off
        </button>
      ) : (
        <form onSubmit={handleSubmit((values) => disable.mutate(values))} noValidate>
          <div className="field">
            <label htmlFor="disable-password">Password</label>
            <input
              id="disable-password"
              type="password"
              autoComplete="current-password"
              {...register('password', { required: 'Enter your password.' })}
            />
            {formState.errors.password && <p className="field-error">{formState.errors.password.message}</p>}
          </div>
          <div className="field">
            <label htmlFor="disable-code">Code from the app, or a recovery code</label>
            <input
              id="disable-code"
              autoComplete="one-time-code"
              {...register('code', { required: 'Type a code.' })}
            />
            {formState.errors.code && <p className="field-error">{formState.errors.code.message}</p>}
          </div>
          <ErrorMessage error={disable.error} />
          <button type="submit" className="button button-danger" disabled={disable.isPending}>
            Turn off two-factor authentication
          </button>
        </form>
      )}
    </>
  );
}
