import http, { type ClientRequest, type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { readCappedBody } from "./capped-body.js";
import { asFetchError, FetchRefused } from "./fetch-errors.js";

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface PinnedTarget {
  url: URL;
  /** The hostname without IPv6 brackets. */
  host: string;
  /** Addresses already checked; the connection goes to these and nowhere else. */
  addresses: ResolvedAddress[];
}

export interface ExchangeOptions {
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  maxBytes: number;
  deadline: number;
  follow: boolean;
  ca: string | Buffer | undefined;
  /** The client's pool of kept-alive connections for the URL's scheme (see KeptAlive), or false for a connection of its own. */
  agent: http.Agent | false;
}

export interface Exchange {
  status: number;
  headers: Record<string, string>;
  /** null for a redirect that the caller follows. */
  body: Buffer | null;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One request and its response on a connection to the checked addresses only: the socket's lookup is
 * pinned to them, while TLS SNI, certificate checks and Host use the hostname. The whole exchange must
 * finish by `deadline`. A redirect to be followed is returned without its body.
 */
export function exchange(target: PinnedTarget, opts: ExchangeOptions): Promise<Exchange> {
  const { url, host, addresses } = target;
  const { method, headers, body, maxBytes, deadline, follow, ca, agent } = opts;
  return new Promise<Exchange>((resolve, reject) => {
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (err: unknown) =>
      settle(() => {
        const error = asFetchError(err, url.origin);
        res?.destroy();
        req?.destroy();
        reject(error);
      });
    const timer = setTimeout(
      () => fail(new FetchRefused("timeout", `${url.origin} did not answer in time.`)),
      Math.max(0, deadline - Date.now()),
    );

    const secure = url.protocol === "https:";
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: host,
      port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      agent,
      lookup: pinnedLookup(addresses),
      ...(secure && isIP(host) === 0 ? { servername: host } : {}),
      ...(secure && ca !== undefined ? { ca } : {}),
    };
    try {
      req = (secure ? https : http).request(options);
    } catch (err) {
      fail(err);
      return;
    }
    req.on("error", fail);
    req.on("response", (incoming) => {
      res = incoming;
      const status = incoming.statusCode ?? 0;
      const responseHeaders = flattenHeaders(incoming.headers);
      if (follow && REDIRECTS.has(status)) {
        settle(() => {
          incoming.destroy();
          req?.destroy();
          resolve({ status, headers: responseHeaders, body: null });
        });
        return;
      }
      readCappedBody(incoming, maxBytes).then(
        (data) => settle(() => resolve({ status, headers: responseHeaders, body: data })),
        fail,
      );
    });
    req.end(body);
  });
}

/** A socket lookup that answers with the already checked addresses, whatever DNS says now. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const first = addresses[0]!;
    if (options.all) callback(null, addresses);
    else callback(null, first.address, first.family);
  };
}

function flattenHeaders(raw: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** How long an idle connection is kept: under the 5 s after which Node's and many servers close theirs. */
const IDLE_MS = 4000;

/**
 * Connections kept alive between requests to the same host, one pool per scheme, so that a worker
 * sending an inbox its backlog does not open a TCP (and TLS) connection per item. A pooled
 * connection was made to an address checked when it was opened (the lookup is pinned), and every
 * request still passes the URL, domain-rule and DNS checks before it takes one; a connection whose
 * exchange failed, timed out or was cut at the body cap is destroyed, never reused. Idle connections
 * do not keep the process alive.
 */
export class KeptAlive {
  readonly http = new http.Agent({ keepAlive: true, maxFreeSockets: 4, timeout: IDLE_MS });
  readonly https = new https.Agent({ keepAlive: true, maxFreeSockets: 4, timeout: IDLE_MS });

  for(url: URL): http.Agent {
    return url.protocol === "https:" ? this.https : this.http;
  }
}
