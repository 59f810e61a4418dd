// The alerts page's watch areas: a tile-free map of the coarse cells kept, adding one
// around where the phone is (the point itself is never stored), removing one.
import { gettext } from "./i18n.js";
import { api, armed, readJson } from "./action-view.js";
import { drawCells } from "./map.js";

const areas = readJson("watch-areas", []);
const cells = areas.flatMap((area) => area.cells);
drawCells(document.querySelector("[data-watch-map]"), { lat: null, lon: null, radius_m: 0 }, cells, {
  labels: false,
  label: "watched",
});

const form = document.querySelector("[data-watch-form]");
const status = form?.querySelector("[data-watch-status]");
form?.querySelector("[data-watch-locate]").addEventListener("click", () => {
  status.textContent = gettext("Locating…");
  navigator.geolocation.getCurrentPosition(
    (position) => {
      form.lat.value = position.coords.latitude.toFixed(4);
      form.lon.value = position.coords.longitude.toFixed(4);
      status.textContent = gettext("Location set.");
    },
    () => (status.textContent = gettext("Location unavailable: type it in.")),
    { timeout: 10000 },
  );
});
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { lat: Number(form.lat.value), lon: Number(form.lon.value), radius_km: Number(form.radius_km.value) };
  const { ok, data } = await api("POST", "/api/v1/me/watch-areas", body);
  if (ok) location.reload();
  else status.textContent = data.detail;
});
if (form) armed(form);
document.querySelectorAll("[data-watch-remove]").forEach((button) =>
  button.addEventListener("click", async () => {
    const { ok } = await api("DELETE", `/api/v1/me/watch-areas/${button.dataset.watchRemove}`);
    if (ok) location.reload();
  }),
);
