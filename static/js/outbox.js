// A check-in tapped with no signal waits here, on the phone, until it can be sent. It
// keeps its idempotency key, so however many times it is sent (two tabs, a reload, a
// retry after a lost answer) the server stores it once.
export class Outbox {
  constructor(name) {
    this.key = `goodmob:outbox:${name}`;
  }

  pending() {
    try {
      return JSON.parse(localStorage.getItem(this.key) ?? "null");
    } catch {
      return null;
    }
  }

  save(entry) {
    try {
      localStorage.setItem(this.key, JSON.stringify(entry));
      return true;
    } catch {
      return false; // private mode or a full disk: the page still holds it in memory
    }
  }

  clear() {
    localStorage.removeItem(this.key);
  }
}

// A refusal worth trying again later (the server or the network), not a verdict.
export function worthRetrying(status) {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}
