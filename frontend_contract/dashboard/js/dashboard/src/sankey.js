/** The column of each status, left to right. */
export const COLUMN = {
    wishlist: 0,
    applied: 1,
    screening: 2,
    interview: 3,
    offer: 4,
    accepted: 5,
    rejected: 5,
    ghosted: 5,
    withdrawn: 5,
};
/** Top to bottom inside a column (only the last one holds more than one status). */
const ORDER = [
    "wishlist",
    "applied",
    "screening",
    "interview",
    "offer",
    "accepted",
    "rejected",
    "ghosted",
    "withdrawn",
];
const COLUMNS = 6;
export const DEFAULTS = {
    width: 960,
    height: 380,
    nodeWidth: 14,
    gap: 18,
    marginLeft: 8,
    marginRight: 150,
    marginY: 12,
};
/** A move is drawn when its target is in a column to the right of its source's. */
export function isForward(link) {
    return COLUMN[link.target] > COLUMN[link.source];
}
/** Where each node and link goes in a `width` × `height` box. Pure: no DOM. */
export function layoutSankey(flow, options = {}) {
    const o = { ...DEFAULTS, ...options };
    const forward = flow.links.filter((link) => link.applications > 0 && isForward(link));
    const back = flow.links.filter((link) => link.applications > 0 && !isForward(link));
    const counts = new Map(flow.nodes.map((node) => [node.status, node.applications]));
    const sum = (links) => links.reduce((total, link) => total + link.applications, 0);
    const statuses = ORDER.filter((status) => counts.has(status) || forward.some((l) => l.source === status || l.target === status));
    const nodes = statuses.map((status) => ({
        status,
        applications: counts.get(status) ?? 0,
        value: Math.max(counts.get(status) ?? 0, sum(forward.filter((link) => link.target === status)), sum(forward.filter((link) => link.source === status))),
        column: COLUMN[status],
        x: 0,
        y: 0,
        height: 0,
    }));
    // One scale for every column (so widths compare across the diagram): the fullest column fills the height.
    const inner = o.height - 2 * o.marginY;
    let scale = Infinity;
    for (let column = 0; column < COLUMNS; column++) {
        const here = nodes.filter((node) => node.column === column);
        const total = here.reduce((t, node) => t + node.value, 0);
        if (total > 0)
            scale = Math.min(scale, (inner - o.gap * (here.length - 1)) / total);
    }
    if (!Number.isFinite(scale))
        scale = 0;
    const step = (o.width - o.marginLeft - o.marginRight - o.nodeWidth) / (COLUMNS - 1);
    for (let column = 0; column < COLUMNS; column++) {
        const here = nodes.filter((node) => node.column === column);
        const used = here.reduce((t, node) => t + node.value * scale, 0) + o.gap * Math.max(0, here.length - 1);
        let y = o.marginY + (inner - used) / 2; // each column centred
        for (const node of here) {
            node.x = o.marginLeft + column * step;
            node.y = y;
            node.height = node.value * scale;
            y += node.height + o.gap;
        }
    }
    const byStatus = new Map(nodes.map((node) => [node.status, node]));
    const node = (status) => byStatus.get(status); // every link's ends are nodes
    const rank = (status) => ORDER.indexOf(status);
    // Bands leave a node in the order of their targets and enter one in the order of their sources, so
    // they do not cross at the nodes.
    const outOffset = new Map();
    const inOffset = new Map();
    const starts = new Map();
    for (const link of [...forward].sort((a, b) => rank(a.source) - rank(b.source) || rank(a.target) - rank(b.target))) {
        const offset = outOffset.get(link.source) ?? 0;
        starts.set(link, node(link.source).y + offset);
        outOffset.set(link.source, offset + link.applications * scale);
    }
    const links = [...forward]
        .sort((a, b) => rank(a.target) - rank(b.target) || rank(a.source) - rank(b.source))
        .map((link) => {
        const width = link.applications * scale;
        const offset = inOffset.get(link.target) ?? 0;
        inOffset.set(link.target, offset + width);
        const source = node(link.source);
        const target = node(link.target);
        const sourceY = starts.get(link) ?? source.y;
        const targetY = target.y + offset;
        const x0 = source.x + o.nodeWidth;
        const x1 = target.x;
        const middle = (x0 + x1) / 2;
        const y0 = sourceY + width / 2;
        const y1 = targetY + width / 2;
        const path = `M${r(x0)},${r(y0)} C${r(middle)},${r(y0)} ${r(middle)},${r(y1)} ${r(x1)},${r(y1)}`;
        return { source: link.source, target: link.target, applications: link.applications, width, sourceY, targetY, path };
    });
    // Drawn in the api's order (a stable DOM for tests and screen readers' reading of the table).
    const index = (link) => forward.findIndex((l) => l.source === link.source && l.target === link.target);
    links.sort((a, b) => index(a) - index(b));
    return { width: o.width, height: o.height, nodeWidth: o.nodeWidth, nodes, links, back };
}
function r(value) {
    return String(Math.round(value * 10) / 10);
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) {
        if (name === "style")
            throw new Error("svg(): the CSP blocks style attributes; use SVG attributes or a class");
        element.setAttribute(name, String(value));
    }
    element.append(...children);
    return element;
}
export function statusLabel(status) {
    return status.charAt(0).toUpperCase() + status.slice(1);
}
const plural = (n) => `${n} application${n === 1 ? "" : "s"}`;
/** One sentence per drawn move, for the diagram's description. */
export function describeFlow(layout) {
    const moves = layout.links.map((link) => `${statusLabel(link.source)} to ${statusLabel(link.target)}: ${plural(link.applications)}`);
    const back = layout.back.map((link) => `${statusLabel(link.source)} back to ${statusLabel(link.target)}: ${plural(link.applications)}`);
    return [...moves, ...(back.length ? [`Not drawn, moved back: ${back.join("; ")}`] : [])].join(". ") + ".";
}
/** The diagram as an <svg role="img"> named by its <title> and described by its <desc>. */
export function renderSankey(layout, idPrefix = "sankey") {
    const titleId = `${idPrefix}-title`;
    const descId = `${idPrefix}-desc`;
    const nodeWidth = layout.nodeWidth;
    const root = svg("svg", {
        viewBox: `0 0 ${layout.width} ${layout.height}`,
        role: "img",
        "aria-labelledby": titleId,
        "aria-describedby": descId,
        class: "sankey",
        preserveAspectRatio: "xMinYMin meet",
    });
    root.append(svg("title", { id: titleId }, "How your applications moved between statuses"), svg("desc", { id: descId }, describeFlow(layout)));
    const links = svg("g", { class: "links", fill: "none" });
    for (const link of layout.links) {
        links.append(svg("path", {
            d: link.path,
            "stroke-width": Math.max(1, Math.round(link.width * 10) / 10),
            "data-source": link.source,
            "data-target": link.target,
            "data-applications": link.applications,
        }, svg("title", {}, `${statusLabel(link.source)} → ${statusLabel(link.target)}: ${plural(link.applications)}`)));
    }
    const nodes = svg("g", { class: "nodes" });
    for (const node of layout.nodes) {
        const middle = node.y + node.height / 2;
        nodes.append(svg("g", { "data-status": node.status, "data-applications": node.applications }, svg("rect", { x: r(node.x), y: r(node.y), width: nodeWidth, height: r(Math.max(1, node.height)), rx: 2 }, svg("title", {}, `${statusLabel(node.status)}: ${plural(node.applications)}`)), svg("text", { x: r(node.x + nodeWidth + 6), y: r(middle), "dominant-baseline": "middle" }, `${statusLabel(node.status)} `, svg("tspan", { class: "n" }, String(node.applications)))));
    }
    root.append(links, nodes);
    return root;
}
