// The Lambda Runtime API (2018-06-01) at http://$AWS_LAMBDA_RUNTIME_API, over one
// keep-alive HTTP/1.1 connection that serves every request of the process.

import http from 'node:http';

const API_PREFIX = '/2018-06-01/runtime';
const SPECIALIZATION_PATH = '/2018-06-01/swiftlet/specialization';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
// Characters Node accepts in a header value; an error type with others is not sent as one.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The Runtime API could not be reached, or refused a request the runtime relies on. */
export class RuntimeApiError extends Error {}
RuntimeApiError.prototype.name = 'RuntimeApiError';

function invocationPath(requestId, action) {
  return `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/${action}`;
}

export class RuntimeApiClient {
  /** @param {string} address host:port, as in AWS_LAMBDA_RUNTIME_API */
  constructor(address) {
    const colon = address.lastIndexOf(':');
    this.hostname = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
    // One socket, kept open between requests. The agent unrefs it while it is idle, so it
    // never keeps the event loop alive, which callbackWaitsForEmptyEventLoop depends on.
    // The number of sockets is not limited to one: a failure reported while /next waits
    // (a timer that throws between invocations) must not queue behind that long poll.
    this.agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1 });
    this.userAgent = `swiftlet-nodejs/${process.versions.node}`;
  }

  /** Waits, without a time limit, for the next invocation: { requestId, headers, body }. */
  async nextInvocation() {
    const { status, headers, body } = await this.request('GET', `${API_PREFIX}/invocation/next`);
    if (status !== 200) {
      throw new RuntimeApiError(`GET /invocation/next answered ${status}: ${body.slice(0, 200)}`);
    }
    const requestId = headers['lambda-runtime-aws-request-id'];
    if (!requestId) {
      throw new RuntimeApiError('GET /invocation/next answered without a request id');
    }
    return { requestId, headers, body };
  }

  /**
   * A stem cell's wait for its function (Swiftlet's own path, answered once the function's
   * code is mounted): { environment } with the function's variables.
   */
  async specialization() {
    const { status, body } = await this.request('GET', SPECIALIZATION_PATH);
    if (status !== 200) {
      throw new RuntimeApiError(`GET ${SPECIALIZATION_PATH} answered ${status}: ${body.slice(0, 200)}`);
    }
    const document = JSON.parse(body);
    if (typeof document?.environment !== 'object' || document.environment === null || 'exec' in document) {
      throw new RuntimeApiError(`GET ${SPECIALIZATION_PATH} answered a document this runtime cannot take on`);
    }
    return document;
  }

  /** Posts the invocation's result, already encoded as JSON. */
  postResponse(requestId, json) {
    return this.post(invocationPath(requestId, 'response'), json, {});
  }

  /** Posts an error document ({ errorType, errorMessage, trace }) for the invocation. */
  postError(requestId, document) {
    return this.postDocument(invocationPath(requestId, 'error'), document);
  }

  /** Posts an error document for a failed initialisation; the runtime then exits. */
  postInitError(document) {
    return this.postDocument(`${API_PREFIX}/init/error`, document);
  }

  postDocument(path, document) {
    const headers = {};
    if (typeof document.errorType === 'string' && HEADER_VALUE.test(document.errorType)) {
      headers[ERROR_TYPE_HEADER] = document.errorType;
    }
    return this.post(path, JSON.stringify(document), headers);
  }

  async post(path, body, headers) {
    const { status, body: answer } = await this.request('POST', path, body, headers);
    if (status < 200 || status >= 300) {
      process.stderr.write(`swiftlet runtime: POST ${path} answered ${status}: ${answer.slice(0, 200)}\n`);
    }
    return status;
  }

  /**
   * Sends one request and reads the whole answer: { status, headers, body }. A request
   * that finds its idle connection closed by the server is sent once more on a new one.
   */
  async request(method, path, body, headers = {}) {
    try {
      return await this.send(method, path, body, headers);
    } catch (error) {
      if (!error.reusedSocket || error.code !== 'ECONNRESET') {
        throw new RuntimeApiError(`${method} ${path} failed: ${error.message}`);
      }
    }
    try {
      return await this.send(method, path, body, headers);
    } catch (error) {
      throw new RuntimeApiError(`${method} ${path} failed: ${error.message}`);
    }
  }

  send(method, path, body, headers) {
    const allHeaders = { 'User-Agent': this.userAgent, ...headers };
    if (body !== undefined) {
      allHeaders['Content-Type'] = 'application/json';
      allHeaders['Content-Length'] = Buffer.byteLength(body);
    }
    const options = { hostname: this.hostname, port: this.port, method, path, headers: allHeaders };
    return new Promise((resolve, reject) => {
      const request = http.request({ ...options, agent: this.agent }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode, headers: response.headers, body: text });
        });
      });
      request.on('error', (error) => {
        error.reusedSocket = request.reusedSocket;
        reject(error);
      });
      request.end(body);
    });
  }
}
