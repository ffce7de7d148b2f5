// The server's 400s name their fields: `details.fields: [{field, message}]` (docs/api.md). These helpers
// put each message on its form field, so people read it where they type.
import { useEffect } from 'react';
import type { FieldValues, Path, UseFormReturn, UseFormSetError } from 'react-hook-form';
import { LatchkeyError } from './api';

export interface FieldProblem {
  field: string;
  message: string;
}

/** The `{field, message}` pairs of an API error, or none. */
export function fieldProblems(error: unknown): FieldProblem[] {
  if (!(error instanceof LatchkeyError)) return [];
  const details = error.details;
  if (typeof details !== 'object' || details === null) return [];
  const fields = (details as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter(
    (f): f is FieldProblem =>
      typeof f === 'object' &&
      f !== null &&
      typeof (f as FieldProblem).field === 'string' &&
      typeof (f as FieldProblem).message === 'string',
  );
}

/**
 * Puts each problem of `error` on the form field `fields` maps its API field to (`policy.maxTtlDays` →
 * `maxTtlDays`). Answers true when every problem found a field: the form then needs no banner.
 */
export function placeFieldErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: Partial<Record<string, Path<T>>>,
): boolean {
  const problems = fieldProblems(error);
  if (problems.length === 0) return false;
  let placed = 0;
  let first = true;
  for (const problem of problems) {
    const name = fields[problem.field];
    if (name === undefined) continue;
    setError(name, { type: 'server', message: problem.message }, { shouldFocus: first });
    first = false;
    placed++;
  }
  return placed === problems.length;
}

/**
 * A form's server errors where people look: each `details.fields` problem (and a CONFLICT, when
 * `conflictField` is given) goes on its field, and any change to the form clears the request's error, so
 * no stale banner stays after the field was fixed. Answers the error to show as a banner: null when every
 * problem sits on a field.
 */
export function useServerFieldErrors<T extends FieldValues>(
  form: UseFormReturn<T>,
  request: { error: unknown; reset: () => void },
  fields: Partial<Record<string, Path<T>>>,
  conflictField?: Path<T>,
): unknown {
  const { error, reset } = request;
  const { setError, watch } = form;
  const conflict = conflictField !== undefined && error instanceof LatchkeyError && error.code === 'CONFLICT';
  const problems = fieldProblems(error);
  const onFields = conflict || (problems.length > 0 && problems.every((p) => fields[p.field] !== undefined));
  // biome-ignore lint/correctness/useExhaustiveDependencies: placed once per error; `fields` is a new literal on every render.
  useEffect(() => {
    if (!error) return;
    if (conflict && error instanceof Error)
      setError(conflictField, { type: 'server', message: error.message });
    else placeFieldErrors(error, setError, fields);
  }, [error]);
  useEffect(() => {
    if (!error) return;
    const subscription = watch(() => reset());
    return () => subscription.unsubscribe();
  }, [error, watch, reset]);
  return onFields ? null : error;
}
