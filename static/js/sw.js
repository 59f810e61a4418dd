// Service worker: shows Good Mob alerts pushed by the server and opens the right page.
// The payload is {title, body, url, tag, off_url, kind} (alerts/messages.py).
self.addEventListener("push", (event) => {
  let alert = {};
  try {
    alert = event.data ? event.data.json() : {};
  } catch {
    alert = { title: "Good Mob", body: event.data?.text() ?? "" };
  }
  event.waitUntil(
    self.registration.showNotification(alert.title || "Good Mob", {
      body: alert.body || "",
      tag: alert.tag,
      icon: "/static/img/icon.svg",
      badge: "/static/img/icon.svg",
      data: { url: alert.url || "/", off: alert.off_url },
      actions: alert.off_url ? [{ action: "off", title: "Turn these off" }] : [],
      requireInteraction: alert.urgency === "high",
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const { url, off } = event.notification.data || {};
  const target = event.action === "off" && off ? off : url;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url === target);
      return open ? open.focus() : self.clients.openWindow(target);
    }),
  );
});
