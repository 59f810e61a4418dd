// Launch form: the browser's time zone, a sensible default start and presets, the place on
// a map, "use my location".
import { gettext } from "./i18n.js";
import { placePicker } from "./place-picker.js";

const form = document.getElementById("launch-form");
const startsAt = form.querySelector("[name=starts_at]");
const pad = (n) => String(n).padStart(2, "0");

const setStart = (when) => {
  startsAt.value = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}T${pad(when.getHours())}:${pad(when.getMinutes())}`;
};
if (!form.hasAttribute("data-bound")) setStart(new Date(Date.now() + 10 * 60 * 1000));

// Start presets: the usual choices in one tap, in the organizer's own time.
form.querySelector("[data-start-presets]")?.addEventListener("click", (event) => {
  const preset = event.target.closest("button");
  if (!preset) return;
  const when = new Date();
  if (preset.dataset.inMinutes) when.setTime(when.getTime() + Number(preset.dataset.inMinutes) * 60000);
  else if ("onTheHour" in preset.dataset) when.setHours(when.getHours() + (when.getMinutes() >= 50 ? 2 : 1), 0, 0, 0);
  else if (preset.dataset.tomorrowAt) {
    when.setDate(when.getDate() + 1);
    when.setHours(Number(preset.dataset.tomorrowAt), 0, 0, 0);
  }
  setStart(when);
});
form.addEventListener("submit", () => {
  form.querySelector("[name=tz_offset]").value = new Date(startsAt.value).getTimezoneOffset();
});

const anywhere = form.querySelector("[name=anywhere]");
const placeFields = ["place_name", "lat", "lon", "radius_m"].map((name) => form.querySelector(`.field-${name}`));
const picker = placePicker(form);
const togglePlace = () => {
  placeFields.forEach((el) => (el.hidden = anywhere.checked));
  picker?.refresh();
};
anywhere.addEventListener("change", togglePlace);
togglePlace();

const locate = document.getElementById("use-location");
locate?.addEventListener("click", (event) => {
  const button = event.currentTarget;
  button.textContent = gettext("Locating…");
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const here = [position.coords.latitude, position.coords.longitude];
      if (picker) picker.place(here, { fly: true });
      else [form.querySelector("[name=lat]").value, form.querySelector("[name=lon]").value] = here.map((v) => v.toFixed(6));
      button.textContent = gettext("Location set ✓");
    },
    () => (button.textContent = gettext("Location unavailable: type it in")),
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

// "Do this near me": the place is where the phone is, unless the person typed one.
if (form.hasAttribute("data-locate") && !anywhere.checked && !form.querySelector("[name=lat]").value) {
  locate?.click();
}
