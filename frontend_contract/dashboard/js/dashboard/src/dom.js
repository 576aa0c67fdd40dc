// Small DOM helpers: the dashboard builds its few dynamic parts with `h()` instead of a framework.
/** `h("li", {class: "card"}, "text", child)`: an element with attributes, listeners (`on<event>`) and children.
 * No `style` attribute: the page's Content-Security-Policy blocks inline styles (set `element.style.x`). */
export function h(tag, attrs = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
        if (name === "style")
            throw new Error("h(): the CSP blocks style attributes; set element.style instead");
        if (typeof value === "function")
            element.addEventListener(name.slice(2), value);
        else if (value === true)
            element.setAttribute(name, "");
        else if (value !== false && value !== null && value !== undefined)
            element.setAttribute(name, String(value));
    }
    for (const child of children)
        if (child)
            element.append(child);
    return element;
}
/** The element with `id`, of the expected type (a missing element is a bug in index.html). */
export function byId(id) {
    const element = document.getElementById(id);
    if (!element)
        throw new Error(`#${id} is missing from index.html`);
    return element;
}
export function formValue(form, name) {
    const value = new FormData(form).get(name);
    return typeof value === "string" ? value.trim() : "";
}
export function formatDate(iso) {
    return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "";
}
