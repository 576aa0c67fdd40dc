// A Sankey diagram of how applications moved between statuses (`flow` of GET /applications/analytics),
// drawn as inline SVG without a library. `layoutSankey` is a pure function (numbers in, geometry out);
// `renderSankey` turns its result into an <svg> with attributes only: the page's Content-Security-Policy
// refuses style attributes, so geometry is set as SVG attributes and colours come from styles.css
// (`data-status` / `data-target`).
//
// Columns follow the path forward: wishlist → applied → screening → interview → offer, and the four
// ends an application can reach (accepted, rejected, ghosted, withdrawn) share the last column.
// A Sankey diagram has no cycles: a move that goes back or sideways (screening → applied, offer →
// interview, rejected → ghosted: the target's column is not to the right of the source's) is left out
// of the drawing and returned in `back`; the dashboard lists those moves under the diagram and in the
// table of moves, so every number of `flow.links` is shown somewhere.
import type { ApplicationStatus, Schemas } from "../../client/index.js";

type Flow = Schemas["Flow"];
type FlowLink = Schemas["FlowLink"];

/** The column of each status, left to right. */
export const COLUMN: Readonly<Record<ApplicationStatus, number>> = {
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
const ORDER: readonly ApplicationStatus[] = [
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

export interface SankeyOptions {
  width: number;
  height: number;
  nodeWidth: number;
  /** Vertical space between two nodes of a column. */
  gap: number;
  /** Room left of the first column and right of the last one (for the labels). */
  marginLeft: number;
  marginRight: number;
  marginY: number;
}

export const DEFAULTS: SankeyOptions = {
  width: 960,
  height: 380,
  nodeWidth: 14,
  gap: 18,
  marginLeft: 8,
  marginRight: 150,
  marginY: 12,
};

export interface SankeyNode {
  status: ApplicationStatus;
  /** Applications ever in the status (the api's count). */
  applications: number;
  /** What the node's height stands for: the largest of `applications`, its drawn moves in and out. */
  value: number;
  column: number;
  x: number;
  y: number;
  height: number;
}

export interface SankeyLink {
  source: ApplicationStatus;
  target: ApplicationStatus;
  applications: number;
  /** The band's thickness (its `stroke-width`). */
  width: number;
  /** Top of the band where it leaves the source and where it enters the target. */
  sourceY: number;
  targetY: number;
  /** A cubic Bézier along the middle of the band. */
  path: string;
}

export interface SankeyLayout {
  width: number;
  height: number;
  nodeWidth: number;
  nodes: SankeyNode[];
  /** The moves forward, drawn. */
  links: SankeyLink[];
  /** The moves back or sideways: not drawn (a Sankey diagram has no cycles), listed instead. */
  back: FlowLink[];
}

/** A move is drawn when its target is in a column to the right of its source's. */
export function isForward(link: Pick<FlowLink, "source" | "target">): boolean {
  return COLUMN[link.target] > COLUMN[link.source];
}

/** Where each node and link goes in a `width` × `height` box. Pure: no DOM. */
export function layoutSankey(flow: Flow, options: Partial<SankeyOptions> = {}): SankeyLayout {
  const o: SankeyOptions = { ...DEFAULTS, ...options };
  const forward = flow.links.filter((link) => link.applications > 0 && isForward(link));
  const back = flow.links.filter((link) => link.applications > 0 && !isForward(link));

  const counts = new Map<ApplicationStatus, number>(flow.nodes.map((node) => [node.status, node.applications]));
  const sum = (links: FlowLink[]): number => links.reduce((total, link) => total + link.applications, 0);
  const statuses = ORDER.filter((status) => counts.has(status) || forward.some((l) => l.source === status || l.target === status));
  const nodes: SankeyNode[] = statuses.map((status) => ({
    status,
    applications: counts.get(status) ?? 0,
    value: Math.max(
      counts.get(status) ?? 0,
      sum(forward.filter((link) => link.target === status)),
      sum(forward.filter((link) => link.source === status)),
    ),
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
    if (total > 0) scale = Math.min(scale, (inner - o.gap * (here.length - 1)) / total);
  }
  if (!Number.isFinite(scale)) scale = 0;

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
  const node = (status: ApplicationStatus): SankeyNode => byStatus.get(status) as SankeyNode; // every link's ends are nodes
  const rank = (status: ApplicationStatus): number => ORDER.indexOf(status);
  // Bands leave a node in the order of their targets and enter one in the order of their sources, so
  // they do not cross at the nodes.
  const outOffset = new Map<ApplicationStatus, number>();
  const inOffset = new Map<ApplicationStatus, number>();
  const starts = new Map<FlowLink, number>();
  for (const link of [...forward].sort((a, b) => rank(a.source) - rank(b.source) || rank(a.target) - rank(b.target))) {
    const offset = outOffset.get(link.source) ?? 0;
    starts.set(link, node(link.source).y + offset);
    outOffset.set(link.source, offset + link.applications * scale);
  }
  const links: SankeyLink[] = [...forward]
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
  const index = (link: SankeyLink): number => forward.findIndex((l) => l.source === link.source && l.target === link.target);
  links.sort((a, b) => index(a) - index(b));
  return { width: o.width, height: o.height, nodeWidth: o.nodeWidth, nodes, links, back };
}

function r(value: number): string {
  return String(Math.round(value * 10) / 10);
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "style") throw new Error("svg(): the CSP blocks style attributes; use SVG attributes or a class");
    element.setAttribute(name, String(value));
  }
  element.append(...children);
  return element;
}

export function statusLabel(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

const plural = (n: number): string => `${n} application${n === 1 ? "" : "s"}`;

/** One sentence per drawn move, for the diagram's description. */
export function describeFlow(layout: SankeyLayout): string {
  const moves = layout.links.map((link) => `${statusLabel(link.source)} to ${statusLabel(link.target)}: ${plural(link.applications)}`);
  const back = layout.back.map((link) => `${statusLabel(link.source)} back to ${statusLabel(link.target)}: ${plural(link.applications)}`);
  return [...moves, ...(back.length ? [`Not drawn, moved back: ${back.join("; ")}`] : [])].join(". ") + ".";
}

/** The diagram as an <svg role="img"> named by its <title> and described by its <desc>. */
export function renderSankey(layout: SankeyLayout, idPrefix = "sankey"): SVGSVGElement {
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
  root.append(
    svg("title", { id: titleId }, "How your applications moved between statuses"),
    svg("desc", { id: descId }, describeFlow(layout)),
  );
  const links = svg("g", { class: "links", fill: "none" });
  for (const link of layout.links) {
    links.append(
      svg(
        "path",
        {
          d: link.path,
          "stroke-width": Math.max(1, Math.round(link.width * 10) / 10),
          "data-source": link.source,
          "data-target": link.target,
          "data-applications": link.applications,
        },
        svg("title", {}, `${statusLabel(link.source)} → ${statusLabel(link.target)}: ${plural(link.applications)}`),
      ),
    );
  }
  const nodes = svg("g", { class: "nodes" });
  for (const node of layout.nodes) {
    const middle = node.y + node.height / 2;
    nodes.append(
      svg(
        "g",
        { "data-status": node.status, "data-applications": node.applications },
        svg(
          "rect",
          { x: r(node.x), y: r(node.y), width: nodeWidth, height: r(Math.max(1, node.height)), rx: 2 },
          svg("title", {}, `${statusLabel(node.status)}: ${plural(node.applications)}`),
        ),
        svg(
          "text",
          { x: r(node.x + nodeWidth + 6), y: r(middle), "dominant-baseline": "middle" },
          `${statusLabel(node.status)} `,
          svg("tspan", { class: "n" }, String(node.applications)),
        ),
      ),
    );
  }
  root.append(links, nodes);
  return root;
}
