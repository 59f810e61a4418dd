// Words for values the server sends as codes, shared by the pages that show them.

const METHOD_WORDS = { gps: "by GPS", code: "by code", "gps+code": "by GPS and code", anywhere: "anywhere", synced_late: "synced late" };

// {"gps": 12, "code": 3, "synced_late": 1} -> "12 by GPS, 3 by code, 1 synced late"
export function verifiedWords(methods) {
  const parts = Object.entries(methods).map(([method, n]) => `${n.toLocaleString()} ${METHOD_WORDS[method] ?? method}`);
  return parts.join(", ") || "none yet";
}
