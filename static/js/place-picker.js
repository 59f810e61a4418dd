// The launch form's place: a Leaflet map (the django-leaflet package ships Leaflet) to tap
// or drag the pin, a search by name, "use my location", and the radius drawn as a circle.
// The latitude and longitude fields stay the truth: with no Leaflet, no tiles or no
// network the form still works, and the map follows whatever is typed into them.
import { gettext } from "./i18n.js";
import { api } from "./action-view.js";
import { node } from "./live.js";

const KRAKOW = [50.0617, 19.9373];
const ZONE = { color: "#0f766e", weight: 2 };

// The tiles a box names (data-tiles, data-attribution) under a map; false when it names none.
function addTiles(L, map, box) {
  if (!box.dataset.tiles) return false;
  L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map);
  return true;
}

export function placePicker(form) {
  const box = form.querySelector("[data-place-map]");
  const field = (name) => form.querySelector(`[name=${name}]`);
  const [lat, lon, radius, placeName] = ["lat", "lon", "radius_m", "place_name"].map(field);
  if (!box || !window.L) return null;
  box.hidden = false;
  const L = window.L;
  // The map, the search and "use my location" replace typing coordinates; they stay a tap away.
  const coordinates = ["lat", "lon"].map((name) => form.querySelector(`.field-${name}`));
  const locate = form.querySelector("#use-location");
  if (locate) box.querySelector(".place-search").append(locate);
  const showCoordinates = box.querySelector("[data-show-coordinates]");
  if (!coordinates.some((el) => el?.classList.contains("has-error"))) coordinates.forEach((el) => el?.classList.add("by-map"));
  else showCoordinates.hidden = true;
  showCoordinates.addEventListener("click", () => {
    coordinates.forEach((el) => el?.classList.remove("by-map"));
    showCoordinates.hidden = true;
  });
  const typed = () => [Number.parseFloat(lat.value), Number.parseFloat(lon.value)];
  const known = () => typed().every(Number.isFinite);
  const map = L.map(box.querySelector("[data-map-canvas]"), { zoomControl: true, attributionControl: Boolean(box.dataset.tiles) });
  if (!addTiles(L, map, box)) box.classList.add("no-tiles");
  map.setView(known() ? typed() : KRAKOW, known() ? 16 : 13);
  const pin = L.marker(known() ? typed() : KRAKOW, { draggable: true, keyboard: true, title: gettext("The spot") });
  const zone = L.circle(known() ? typed() : KRAKOW, { radius: Number(radius.value) || 150, ...ZONE });
  if (known()) pin.addTo(map), zone.addTo(map);

  const place = ([latitude, longitude], { fly = false } = {}) => {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    pin.setLatLng([latitude, longitude]).addTo(map);
    zone.setLatLng([latitude, longitude]).addTo(map);
    if (fly) map.setView([latitude, longitude], Math.max(map.getZoom(), 16));
  };
  map.on("click", (event) => place([event.latlng.lat, event.latlng.lng]));
  pin.on("dragend", () => place([pin.getLatLng().lat, pin.getLatLng().lng]));
  radius.addEventListener("input", () => zone.setRadius(Number(radius.value) || 0));
  for (const input of [lat, lon]) input.addEventListener("change", () => known() && place(typed(), { fly: true }));

  // Search by name, through the site's geocoder.
  const search = box.querySelector("[data-place-search]");
  const results = box.querySelector("[data-place-results]");
  const say = (text) => results.replaceChildren(node("li", "muted", text));
  box.querySelector("[data-place-find]").addEventListener("click", async () => {
    const q = search.value.trim();
    if (q.length < 2) return say(gettext("Type a place: a square, a street, a park."));
    say(gettext("Searching…"));
    const { ok, data } = await api("GET", `/api/v1/places?q=${encodeURIComponent(q)}`).catch(() => ({ ok: false, data: {} }));
    if (!ok) return say(data.detail ?? gettext("Search did not answer: tap the map instead."));
    if (!data.length) return say(gettext("Nothing by that name: try another, or tap the map."));
    results.replaceChildren(
      ...data.map((found) => {
        const choose = node("button", "link-button", found.name);
        choose.type = "button";
        choose.addEventListener("click", () => {
          place([found.lat, found.lon], { fly: true });
          if (!placeName.value) placeName.value = found.name.split(",").slice(0, 2).join(",").slice(0, 120);
          results.replaceChildren();
        });
        const item = node("li");
        item.append(choose);
        return item;
      }),
    );
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      box.querySelector("[data-place-find]").click();
    }
  });
  // A map laid out while hidden (the "anywhere" box ticked) needs to measure itself again.
  return { place, refresh: () => map.invalidateSize() };
}

// An action's place, read-only: the zone on the map (only where tiles are configured; the
// Directions link beside it always works).
export function placeView(box) {
  if (!box) return;
  const { lat, lon, radius } = box.dataset;
  if (!window.L || !box.dataset.tiles) {
    box.hidden = true;
    return;
  }
  const L = window.L;
  const at = [Number(lat), Number(lon)];
  // A view first: a circle measures its bounds through the map's projection.
  const map = L.map(box, { scrollWheelZoom: false, zoomControl: true }).setView(at, 16);
  addTiles(L, map, box);
  const zone = L.circle(at, { radius: Number(radius), ...ZONE }).addTo(map);
  L.marker(at, { keyboard: false, title: box.getAttribute("aria-label") }).addTo(map);
  map.fitBounds(zone.getBounds(), { padding: [18, 18] });
}
