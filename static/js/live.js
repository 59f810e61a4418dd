// Shared real-time plumbing: a self-healing socket and a server-clock estimate.

export class ServerClock {
  constructor() {
    this.offset = 0;
    this.bestRtt = Infinity;
  }
  // Keep the sample with the shortest round trip: its midpoint is the least wrong.
  sample(clientTime, serverNow) {
    const rtt = Date.now() - clientTime;
    const server = Date.parse(serverNow);
    if (!Number.isFinite(rtt) || !Number.isFinite(server) || rtt < 0) return;
    if (rtt <= this.bestRtt) {
      this.bestRtt = rtt;
      this.offset = server - (clientTime + rtt / 2);
    }
  }
  seed(serverNow) {
    const server = Date.parse(serverNow);
    if (Number.isFinite(server) && this.bestRtt === Infinity) this.offset = server - Date.now();
  }
  now() {
    return Date.now() + this.offset;
  }
}

const FINAL_CLOSE_CODES = new Set([4401, 4404, 1008, 1009]);

export function openSocket(path, { onMessage, onStatus = () => {}, clock = null }) {
  let ws = null;
  let attempt = 0;
  let timers = [];
  let retry = null;

  const ping = () => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping", client_time: Date.now() }));
  };

  const connect = () => {
    retry = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}${path}`);
    ws.addEventListener("open", () => {
      attempt = 0;
      onStatus("open");
      // A few quick samples for a good offset, then a slow refresh.
      timers = [0, 1500, 4000].map((ms) => setTimeout(ping, ms));
      timers.push(setInterval(ping, 20000));
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "pong" && clock) clock.sample(Number(message.client_time), message.server_now);
      onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      timers.forEach((t) => (clearTimeout(t), clearInterval(t)));
      timers = [];
      onStatus("closed");
      if (FINAL_CLOSE_CODES.has(event.code)) return;
      const delay = Math.min(30000, 500 * 2 ** attempt++) * (0.5 + Math.random());
      retry = setTimeout(connect, delay);
    });
  };

  // Phones freeze background tabs: reconnect at once when the page is looked at again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && ws && ws.readyState === WebSocket.CLOSED && retry) {
      clearTimeout(retry);
      connect();
    }
  });
  connect();
  return { close: () => ws && ws.close() };
}

export function formatRemaining(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  return `${pad(minutes)}:${pad(seconds)}`;
}

export function localTime(iso) {
  const when = new Date(iso);
  const sameDay = when.toDateString() === new Date().toDateString();
  const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return sameDay ? `Today ${time}` : `${when.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}

export function localizeTimes(root = document) {
  root.querySelectorAll("[data-local-time]").forEach((el) => {
    el.textContent = localTime(el.getAttribute("datetime"));
  });
}

// An element with a class and text: the pages build their cards with it (never innerHTML
// with names people chose).
export function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}
