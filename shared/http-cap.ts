import http from 'node:http';
import https from 'node:https';

/**
 * Answers of the upstreams we call (CityVisual, FC fan-out) are read up to this many bytes, far above
 * any real one; past it the socket is dropped, so a hostile or misconfigured endpoint cannot fill the
 * instance's memory.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** Thrown into the reader when an answer passes the cap; callers translate it as unreadable. */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
}

/**
 * Caps one answer before httpx (pop-core's and fc2's transport) buffers it: a declared or counted size
 * past `maxBytes` drops the connection. A content-encoding is taken away so httpx never inflates (a gzip
 * bomb): a compressed body then fails as not-JSON.
 */
function capAnswer(response: http.IncomingMessage, maxBytes: number): void {
  let size = 0;
  let refused = false;
  const refuse = () => {
    if (refused) return;
    refused = true;
    // Deferred: httpx attaches its read listeners a microtask after 'response', and only then can it
    // see the error; until then nothing more is kept.
    setImmediate(() => response.destroy(new AnswerTooLargeError('answer too large')));
  };
  // (Checked first: a `delete` of an absent key still slows every later read of the headers.)
  if (response.headers['content-encoding'] !== undefined) delete response.headers['content-encoding'];
  if (Number(response.headers['content-length']) > maxBytes) refuse();
  const push = response.push.bind(response);
  response.push = (chunk: Buffer | null, encoding?: BufferEncoding) => {
    if (refused) return false;
    if (chunk !== null) {
      size += chunk.length;
      if (size > maxBytes) {
        refuse();
        return false;
      }
    }
    return push(chunk, encoding);
  };
}

/** A keep-alive agent whose every answer is capped: httpx's only transport seam is `opts.agent`. */
export function cappedAgent(Agent: typeof http.Agent, maxBytes = MAX_ANSWER_BYTES): http.Agent {
  const agent = new Agent({ keepAlive: true });
  const internals = agent as unknown as { addRequest(req: http.ClientRequest, options: unknown): void };
  const addRequest = internals.addRequest.bind(agent);
  internals.addRequest = (req, options) => {
    req.once('response', (response: http.IncomingMessage) => capAnswer(response, maxBytes));
    addRequest(req, options);
  };
  return agent;
}

/** One capped keep-alive agent per protocol for the whole process. */
export const cappedAgents = { http: cappedAgent(http.Agent), https: cappedAgent(https.Agent) };

/** The capped agent for a URL's protocol. */
export const cappedAgentFor = (url: string): http.Agent =>
  url.startsWith('https:') ? cappedAgents.https : cappedAgents.http;
