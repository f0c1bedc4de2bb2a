// The client of a customer who holds an API key.

import { Transport } from './transport.js';

export class Pome {
  /** @param {{apiKey: string, baseUrl: string}} options see index.d.ts */
  constructor(options = {}) {
    this.transport = new Transport('apiKey', options.apiKey, options);
  }

  /** Who the key is: GET /v1/me. A success counts one use of the key. */
  whoami() {
    return this.transport.request('GET', '/v1/me');
  }
}
