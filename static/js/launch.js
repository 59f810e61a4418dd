// Launch form: the browser's time zone, a sensible default start, "use my location".
const form = document.getElementById("launch-form");
const startsAt = form.querySelector("[name=starts_at]");
const pad = (n) => String(n).padStart(2, "0");

if (!form.hasAttribute("data-bound")) {
  const soon = new Date(Date.now() + 10 * 60 * 1000);
  startsAt.value = `${soon.getFullYear()}-${pad(soon.getMonth() + 1)}-${pad(soon.getDate())}T${pad(soon.getHours())}:${pad(soon.getMinutes())}`;
}
form.addEventListener("submit", () => {
  form.querySelector("[name=tz_offset]").value = new Date(startsAt.value).getTimezoneOffset();
});

const anywhere = form.querySelector("[name=anywhere]");
const placeFields = ["place_name", "lat", "lon", "radius_m"].map((name) => form.querySelector(`.field-${name}`));
const togglePlace = () => placeFields.forEach((el) => (el.hidden = anywhere.checked));
anywhere.addEventListener("change", togglePlace);
togglePlace();

const locate = document.getElementById("use-location");
locate?.addEventListener("click", (event) => {
  const button = event.currentTarget;
  button.textContent = "Locating…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
      form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(6);
      button.textContent = "Location set ✓";
    },
    () => (button.textContent = "Location unavailable: type it in"),
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

// "Do this near me": the place is where the phone is, unless the person typed one.
if (form.hasAttribute("data-locate") && !anywhere.checked && !form.querySelector("[name=lat]").value) {
  locate?.click();
}
