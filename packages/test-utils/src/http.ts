/**
 * A real HTTP client with a cookie jar (tough-cookie), for tests that drive
 * real framework apps over 127.0.0.1 like a browser would.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from 'tough-cookie';

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Raw Set-Cookie header lines of this response. */
  setCookies: string[];
  text: string;
  json<T = unknown>(): T;
}

export class CookieClient {
  readonly jar = new CookieJar();

  constructor(readonly baseUrl: string) {}

  async request(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<HttpResponse> {
    const url = new URL(path, this.baseUrl).toString();
    const cookie = await this.jar.getCookieString(url);
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { ...(cookie ? { cookie } : {}), ...init.headers },
      body: init.body ?? null,
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) await this.jar.setCookie(line, url, { ignoreError: true });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      setCookies,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  }

  get(path: string, headers?: Record<string, string>): Promise<HttpResponse> {
    return this.request(path, headers ? { headers } : {});
  }

  /** The value of one cookie in the jar for the base URL, or undefined. */
  async cookie(name: string): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(this.baseUrl);
    return cookies.find((c) => c.key === name)?.value;
  }

  /** Replaces a cookie's value in the jar (to forge or tamper with it). */
  async setCookie(name: string, value: string): Promise<void> {
    await this.jar.setCookie(`${name}=${value}; Path=/`, this.baseUrl);
  }
}

/** Starts listening on 127.0.0.1 with a free port; resolves the base URL. */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}/`);
    });
  });
}

/** Closes a server, dropping keep-alive connections so it does not linger. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
