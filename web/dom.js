// DOM helpers every view shares: elements built with text only (never HTML), safe links.

/** An element with attributes and children; text is always set as text, never as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "style") el.style.cssText = value; // CSSOM: allowed by the CSP, a style attribute is not
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const safeUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);

/** "line 3, column 7" (1-based) from a Neo4j message, or null. */
export function errorPosition(message) {
  const match = /line (\d+), column (\d+)/.exec(message || "");
  return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
}
