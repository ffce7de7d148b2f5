/**
 * Where a mail went, as the server's answer says (`delivery.email`): the CLI says "e-mailed" only
 * when an SMTP server took the mail (`smtp`); without one the mail is a file in the Outbox
 * (`outbox`), and a failed send is said so.
 */
export function deliveryLine(answer: unknown, what: string, to: string): string | null {
  const delivery = (answer as { delivery?: { email?: unknown; error?: unknown } } | null)?.delivery;
  if (!delivery || typeof delivery !== 'object') return null;
  switch (delivery.email) {
    case 'smtp':
      return `${capitalize(what)} was e-mailed to ${to}.`;
    case 'outbox':
      return `No mail server is set up: the mail was saved to the Outbox (latchkey outbox list); ${what} was not e-mailed.`;
    case 'failed':
      return `The mail could not be sent${typeof delivery.error === 'string' ? ` (${delivery.error})` : ''}: ${what} was not e-mailed.`;
    default:
      return `The server did not say whether ${what} was e-mailed (latchkey outbox list shows the Outbox).`;
  }
}

const capitalize = (text: string) => (text ? `${text[0]?.toUpperCase()}${text.slice(1)}` : text);
