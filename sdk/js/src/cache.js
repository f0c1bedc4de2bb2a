// A short positive cache of verifications, so that a burst of one
// customer's requests costs one verify call. Entries are keyed by a
// SHA-256 digest: the cache never holds a plaintext key.

const MAX_ENTRIES = 10_000;

export class VerificationCache {
  constructor(ttlMs) {
    this.ttlMs = ttlMs;
    this.entries = new Map(); // digest -> {verification, expires}
  }

  get enabled() {
    return this.ttlMs > 0;
  }

  /** The digest naming key with what it was verified for. */
  async digest(key, permission, ip) {
    const bytes = new TextEncoder().encode(`${key}\n${permission}\n${ip ?? ''}`);
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  get(digest) {
    const entry = this.entries.get(digest);
    if (!entry) return null;
    if (entry.expires <= Date.now()) {
      this.entries.delete(digest);
      return null;
    }
    return entry.verification;
  }

  set(digest, verification) {
    // A Map iterates in insertion order: the first entry is the oldest.
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value);
    this.entries.set(digest, { verification, expires: Date.now() + this.ttlMs });
  }
}
