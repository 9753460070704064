/**
 * What is told about each HTTP request once it is answered, whichever part of the server answered it
 * (Express or the cached-read path ahead of it): the metrics and the access log listen here.
 */
export interface RequestObserver {
  /**
   * `route`: the route's pattern (`/:board/thread/:no`), never the path with its ids, so the number of
   * label values stays bounded; `path`: the path without its query; `seconds`: from arrival to the end of
   * the response.
   */
  observe(request: ObservedRequest): void;
}

export interface ObservedRequest {
  method: string;
  route: string;
  path: string;
  status: number;
  seconds: number;
  /** Bytes of the response body sent, when known. */
  bytes?: number;
  /** The client's user agent, for the access log. */
  userAgent?: string | undefined;
  /** The client's address as the routes see it (TRUST_PROXY honoured): never logged, only hashed. */
  address?: string | undefined;
}
