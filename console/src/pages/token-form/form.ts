// What the create and edit dialogs share: the grant fields of a token form, and a view of either form as
// a form of just those fields, for the section components.
import type { UseFormReturn } from 'react-hook-form';
import type { RenewedSettings } from '../../lib/renew';

export type GrantValues = Omit<RenewedSettings, 'kind'>;

export type GrantForm = UseFormReturn<GrantValues>;

/**
 * The same form seen through its grant fields. Both dialogs' values extend GrantValues with fields of their
 * own; react-hook-form's types cannot express "a form with at least these fields", hence the cast.
 */
export function asGrantForm<T extends GrantValues>(form: UseFormReturn<T>): GrantForm {
  return form as unknown as GrantForm;
}
