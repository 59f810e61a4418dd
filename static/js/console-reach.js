// The console's reach cards: nearby dispatch progress (polled: it moves once a minute)
// and moving a scheduled action to a new time.
import { format, gettext } from "./i18n.js";
import { api, armed } from "./action-view.js";

const { slug } = document.getElementById("action").dataset;
const card = document.querySelector("[data-dispatch]");
const WHY = {
  enough: gettext("Done: enough people pledged."),
  max_radius: gettext("Done: the rings reached the maximum radius."),
  started: gettext("Done: the action started."),
  closed: gettext("Stopped: the action closed."),
};

async function refresh() {
  const { ok, data } = await api("GET", `/api/v1/actions/${slug}/dispatch`);
  if (!ok) return;
  card.querySelector("[data-dispatch-rings]").textContent = data.rings_sent;
  card.querySelector("[data-dispatch-alerted]").textContent = data.alerted.toLocaleString();
  card.querySelector("[data-dispatch-pledged]").textContent = data.pledged_from_dispatch.toLocaleString();
  card.querySelector("[data-dispatch-state]").textContent =
    WHY[data.finished_because] ?? (data.rings_sent ? format(gettext("Reaching about %(km)s km out; %(pledged)s of %(wanted)s pledged."), { km: data.radius_km, pledged: data.pledged, wanted: data.wanted }) : gettext("Waiting for the first ring."));
  if (!data.finished_because) setTimeout(refresh, 10000);
}
if (card) refresh();

const form = document.querySelector("[data-reschedule-form]");
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = form.querySelector("[data-reschedule-error]");
  const body = { starts_at: new Date(form.starts_at.value).toISOString() };
  if (form.duration_minutes.value) body.duration_minutes = Number(form.duration_minutes.value);
  const { ok, data } = await api("POST", `/api/v1/actions/${slug}/reschedule`, body);
  error.hidden = ok;
  if (ok) location.reload();
  else error.textContent = data.detail;
});
if (form) armed(form);
