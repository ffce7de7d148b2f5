import { type KeyboardEvent, useState } from 'react';
import { groupCatalog } from '../lib/access';
import type { Permission } from '../lib/types';
import { Checkbox } from './ui';

const NEXT_KEYS = new Set(['ArrowDown', 'ArrowRight']);
const PREVIOUS_KEYS = new Set(['ArrowUp', 'ArrowLeft']);

/**
 * The catalog as grouped checkboxes with their descriptions. Permissions the member does not hold are
 * disabled, with the reason in their description. Each group is one Tab stop: Tab moves from group to
 * group, the arrow keys (and Home/End) move inside a group, Space ticks.
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
  // The member of each group that holds its Tab stop: the last one focused, else the first usable one.
  const [current, setCurrent] = useState<Record<string, string>>({});
  const readKeys = catalog.filter((p) => p.key.endsWith(':read') && allowed(p.key)).map((p) => p.key);

  const moveInGroup = (event: KeyboardEvent<HTMLFieldSetElement>) => {
    const boxes = [
      ...event.currentTarget.querySelectorAll<HTMLButtonElement>('button[role="checkbox"]:not(:disabled)'),
    ];
    const at = boxes.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    let to = at;
    if (NEXT_KEYS.has(event.key)) to = (at + 1) % boxes.length;
    else if (PREVIOUS_KEYS.has(event.key)) to = (at - 1 + boxes.length) % boxes.length;
    else if (event.key === 'Home') to = 0;
    else if (event.key === 'End') to = boxes.length - 1;
    else return;
    event.preventDefault();
    boxes[to]?.focus();
  };

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
      <p className="hint sr-only" id={`${idPrefix}-keys`}>
        Tab moves between permission groups; the arrow keys move inside a group; Space ticks.
      </p>
      {groupCatalog(catalog).map(([group, perms]) => {
        const usable = perms.filter((p) => allowed(p.key)).map((p) => p.key);
        const stop =
          current[group] !== undefined && usable.includes(current[group]) ? current[group] : usable[0];
        return (
          <fieldset
            key={group}
            className="perm-group"
            aria-describedby={`${idPrefix}-keys`}
            onKeyDown={moveInGroup}
          >
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
                  tabIndex={p.key === stop ? 0 : -1}
                  onFocus={() => setCurrent((c) => (c[group] === p.key ? c : { ...c, [group]: p.key }))}
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
        );
      })}
    </div>
  );
}
