"""Accessibility checks run inside the page (labels, keyboard, contrast).

- `low_contrast(page)`: every visible piece of text (text nodes, the values and placeholders of text
  fields and selects) whose WCAG 2 contrast ratio against the background behind it is below 4.5:1
  (WCAG 1.4.3 AA for normal text; large text is held to the same bar here). The background is the
  element's own and its ancestors' background colours composited over white; colour alpha and the
  opacity of ancestors count. Disabled controls are exempt (WCAG: inactive components). With a modal
  dialog open only the dialog is checked (the page behind it is inert).
- `tab_to(page, target)`: press Tab (only the keyboard) until `target` (a locator or CSS selector) has the focus.
"""

from __future__ import annotations

from playwright.async_api import Locator, Page

MIN_CONTRAST = 4.5

CONTRAST_JS = """
(min) => {
  const rgba = (text) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(text);
    if (!m) return null;
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => {  // `top` composited over an opaque `bottom`
    const a = top.a;
    const mix = (k) => top[k] * a + bottom[k] * (1 - a);
    return { r: mix("r"), g: mix("g"), b: mix("b"), a: 1 };
  };
  const luminance = (c) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const ratio = (x, y) => {
    const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (a + 0.05) / (b + 0.05);
  };
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 });
  };
  const opacity = (element) => {
    let value = 1;
    for (let e = element; e; e = e.parentElement) value *= Number(getComputedStyle(e).opacity);
    return value;
  };
  const visible = (e) =>
    e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && e.getClientRects().length > 0;
  const name = (e) => {
    if (e.id) return `#${e.id}`;
    const classes = typeof e.className === "string" ? e.className.trim().split(/\\s+/).filter(Boolean) : [];
    return [e.tagName.toLowerCase(), ...classes].join(".");
  };
  const modal = document.querySelector("dialog[open]:modal");
  const root = modal || document.body;
  const fields = ["", "=text", "=email", "=password", "=number", "=url", "=search", "=tel", "=datetime-local"]
    .map((type) => (type ? `input[type${type}]` : "input:not([type])"))
    .concat(["select", "textarea"])
    .join(", ");
  const failures = [];
  const check = (element, colour, text) => {
    if (!text.trim() || element.closest(":disabled, [disabled], option, optgroup, datalist, script, style")) return;
    const fg = rgba(colour);
    if (!fg) return failures.push(`${name(element)}: unreadable colour ${colour}`);
    const bg = background(element);
    const value = ratio(over({ ...fg, a: fg.a * opacity(element) }, bg), bg);
    if (value >= min) return;
    const behind = `rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)})`;
    failures.push(`${name(element)} "${text.trim().slice(0, 40)}": ${value.toFixed(2)}:1 (${colour} on ${behind})`);
  };
  for (const element of root.querySelectorAll("*")) {
    if (!visible(element)) continue;
    const own = [...element.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("");
    check(element, getComputedStyle(element).color, own);
    if (element.matches(fields)) {
      const shown =
        element instanceof HTMLSelectElement ? (element.selectedOptions[0]?.textContent ?? "") : element.value;
      check(element, getComputedStyle(element).color, shown);
      if (!shown && element.placeholder) {
        check(element, getComputedStyle(element, "::placeholder").color, element.placeholder);
      }
    }
  }
  return failures;
}
"""


async def low_contrast(page: Page, minimum: float = MIN_CONTRAST) -> list[str]:
    """The visible text of the page (or of its open modal dialog) below `minimum`:1, described."""
    return list(await page.evaluate(CONTRAST_JS, minimum))


async def assert_contrast(page: Page) -> None:
    failures = await low_contrast(page)
    assert failures == [], f"text below {MIN_CONTRAST}:1 contrast: {failures}"


async def tab_to(page: Page, target: Locator | str, limit: int = 150) -> None:
    """Press Tab until `target` has the focus (fails after `limit` presses)."""
    locator = page.locator(target) if isinstance(target, str) else target
    for _ in range(limit):
        if await locator.evaluate("e => e === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{target} not reached with {limit} Tab presses")
