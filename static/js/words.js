// Words for values the server sends as codes, shared by the pages that show them.

import { gettext } from "./i18n.js";

const METHOD_WORDS = {
  gps: gettext("by GPS"),
  code: gettext("by code"),
  "gps+code": gettext("by GPS and code"),
  anywhere: gettext("anywhere"),
  synced_late: gettext("synced late"),
};

export function methodWords(method) {
  return METHOD_WORDS[method] ?? method;
}

// {"gps": 12, "code": 3, "synced_late": 1} -> "12 by GPS, 3 by code, 1 synced late"
export function verifiedWords(methods) {
  const parts = Object.entries(methods).map(([method, n]) => `${n.toLocaleString()} ${methodWords(method)}`);
  return parts.join(", ") || gettext("none yet");
}
