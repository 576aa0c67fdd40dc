// Small DOM helpers: the dashboard builds its few dynamic parts with `h()` instead of a framework.

type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** `h("li", {class: "card"}, "text", child)`: an element with attributes, listeners (`on<event>`) and children.
 * No `style` attribute: the page's Content-Security-Policy blocks inline styles (set `element.style.x`). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "style") throw new Error("h(): the CSP blocks style attributes; set element.style instead");
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** The element with `id`, of the expected type (a missing element is a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

export function formValue(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === "string" ? value.trim() : "";
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "";
}
