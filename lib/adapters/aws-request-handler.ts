import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Limit on opening a connection to an AWS service, in ms. */
export const AWS_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Limit on silence while a request or its response is under way, in ms. The
 * SDK sets none: a service whose replies stop arriving (the connection still
 * open) would hold a function until Lambda stops it, with no error code. A
 * limit on silence, not on the whole request, so a large body on a slow link
 * still arrives.
 */
export const AWS_IDLE_TIMEOUT_MS = 30_000;

/**
 * The HTTP handler of the AWS clients of entry points: connecting and silence
 * are limited, so a stalled service fails (and is retried by the SDK) instead
 * of hanging.
 *
 * @example
 * new SecretsManagerClient({ region, requestHandler: boundedRequestHandler() });
 */
export function boundedRequestHandler(idleTimeoutMs = AWS_IDLE_TIMEOUT_MS): NodeHttpHandler {
  return new NodeHttpHandler({ connectionTimeout: AWS_CONNECT_TIMEOUT_MS, socketTimeout: idleTimeoutMs });
}
