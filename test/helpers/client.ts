/** A small HTTP client for tests: keeps the session cookie and CSRF token like a browser would. */
export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  private cookie: string | undefined;
  csrfToken: string | undefined;
  bearer: string | undefined;

  constructor(readonly baseUrl: string) {}

  withToken(token: string): ApiClient {
    const client = new ApiClient(this.baseUrl);
    client.bearer = token;
    return client;
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrfToken && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const setCookie = response.headers.getSetCookie();
    for (const line of setCookie) {
      const [pair] = line.split(';');
      if (!pair) continue;
      const [name, value] = pair.split('=');
      if (name?.includes('lk_session')) this.cookie = value ? `${name}=${value}` : undefined;
    }
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('json') && text !== '') parsed = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed) {
      const csrf = (parsed as { csrfToken: unknown }).csrfToken;
      if (typeof csrf === 'string') this.csrfToken = csrf;
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) =>
    this.request<T>('GET', path, undefined, headers);
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
    this.request<T>('POST', path, body ?? {}, headers);
  patch = <T = any>(path: string, body: unknown) => this.request<T>('PATCH', path, body);
  delete = <T = any>(path: string) => this.request<T>('DELETE', path);

  get sessionCookie(): string | undefined {
    return this.cookie;
  }
}
