import { groupCatalog } from '../lib/access';
import type { Permission } from '../lib/types';
import { Checkbox } from './ui';

/**
 * The catalog as grouped checkboxes with their descriptions. Permissions the
 * member does not hold are disabled, with the reason in their description.
 */
export function PermissionPicker({
  catalog,
  value,
  onChange,
  held,
  idPrefix,
  errorId,
}: {
  catalog: Permission[];
  value: string[];
  onChange: (value: string[]) => void;
  held: ReadonlySet<string> | null;
  idPrefix: string;
  errorId?: string;
}) {
  const selected = new Set(value);
  const allowed = (key: string) => held === null || held.has(key);
  const ordered = (keys: Set<string>) => catalog.map((p) => p.key).filter((k) => keys.has(k));
  const toggle = (key: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(key);
    else next.delete(key);
    onChange(ordered(next));
  };
  const readKeys = catalog.filter((p) => p.key.endsWith(':read') && allowed(p.key)).map((p) => p.key);
  return (
    <div className="permissions">
      <div className="permissions-tools">
        <button
          type="button"
          className="button button-small"
          onClick={() => onChange(ordered(new Set([...value, ...readKeys])))}
        >
          Select all read
        </button>
        <button type="button" className="button button-small button-ghost" onClick={() => onChange([])}>
          Clear
        </button>
        <span className="hint" aria-live="polite">
          {value.length} selected
        </span>
      </div>
      {groupCatalog(catalog).map(([group, perms]) => (
        <fieldset key={group} className="perm-group">
          <legend>{group}</legend>
          {perms.map((p) => {
            const lacking = !allowed(p.key);
            return (
              <Checkbox
                key={p.key}
                id={`${idPrefix}-${p.key}`}
                checked={selected.has(p.key)}
                onCheckedChange={(on) => toggle(p.key, on)}
                disabled={lacking}
                describedBy={errorId}
                label={
                  <>
                    <span className="mono">{p.key}</span> <span className="perm-label">{p.label}</span>
                  </>
                }
                hint={
                  lacking ? `${p.description} — Unavailable: your role does not include it.` : p.description
                }
              />
            );
          })}
        </fieldset>
      ))}
    </div>
  );
}
