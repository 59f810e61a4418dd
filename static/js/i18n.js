// Words in the page's language. Django's JavaScript catalog (/jsi18n/, loaded by every
// page before the modules) defines gettext; without it the English stays.
export const gettext = (text) => (window.gettext ? window.gettext(text) : text);
export const ngettext = (one, many, n) => (window.ngettext ? window.ngettext(one, many, n) : n === 1 ? one : many);

// "%(n)s deeds" with {n: 4}: the catalog's own named placeholders.
export function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
}
