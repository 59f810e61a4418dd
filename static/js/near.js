// Near me: actions nearest first around where the phone is. The location is asked for
// only when the person taps, rounded to about a kilometre, and never stored.
import { gettext } from "./i18n.js";
import { api, armed } from "./action-view.js";
import { actionCard } from "./cards.js";

const form = document.getElementById("near-form");
const list = document.getElementById("near-list");
const status = document.getElementById("near-status");
let here = null;

function away(metres) {
  return metres < 1000 ? `${Math.max(50, Math.round(metres / 50) * 50)} m away` : `${(metres / 1000).toFixed(metres < 10000 ? 1 : 0)} km away`;
}

async function search() {
  if (!here) return;
  const params = new URLSearchParams({ near: here, radius_km: form.radius.value });
  if (form.phase.value) params.set("phase", form.phase.value);
  status.textContent = gettext("Looking…");
  const { ok, data } = await api("GET", `/api/v1/actions?${params}`);
  if (!ok) {
    status.textContent = data.detail ?? gettext("Something went wrong; try again.");
    return;
  }
  list.replaceChildren(...data.map((action) => actionCard(action, { note: away(action.distance_m) })));
  status.textContent = data.length ? "" : `Nothing within ${form.radius.value} km yet: launch one yourself.`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  status.textContent = gettext("Finding where you are…");
  navigator.geolocation.getCurrentPosition(
    ({ coords }) => {
      here = `${coords.latitude.toFixed(2)},${coords.longitude.toFixed(2)}`;
      form.querySelector("button").textContent = "Search again";
      search();
    },
    () => (status.textContent = gettext("Your browser did not share a location. Allow it for this site, then try again.")),
    { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 },
  );
});
form.radius.addEventListener("change", search);
form.phase.addEventListener("change", search);
armed(form);
