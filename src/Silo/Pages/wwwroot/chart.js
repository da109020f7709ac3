'use strict';
// A line chart of one series by iteration, drawn as plain SVG: axes with a few round ticks, the line and its
// points, and shaded bands where a rollback threw work away. No library: the page needs nothing more.
window.LineChart = (function () {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 640, H = 260, LEFT = 78, RIGHT = 16, TOP = 14, BOTTOM = 34;

  function element(name, attributes, parent) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
    if (parent) parent.appendChild(e);
    return e;
  }

  // Round tick values covering [lo, hi], about `count` of them.
  function ticks(lo, hi, count) {
    if (hi <= lo) return [lo];
    const raw = (hi - lo) / count;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(s => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  function label(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2) + 'e9';
    if (a >= 1e6) return (v / 1e6).toFixed(2) + 'e6';
    if (a >= 1e4) return Math.round(v).toLocaleString('en-US');
    return Number(v.toPrecision(4)).toString();
  }

  // points: [{x, y}] in x order; bands: [{from, to, title}] along x.
  function draw(svg, points, bands, xMax) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute('data-points', String(points.length));
    if (points.length === 0) {
      element('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, svg).textContent = 'no checked iteration yet';
      return;
    }
    const x0 = 0;
    const x1 = Math.max(xMax || 0, points[points.length - 1].x, 1);
    let y0 = Math.min(...points.map(p => p.y)), y1 = Math.max(...points.map(p => p.y));
    const pad = (y1 - y0) * 0.08 || Math.abs(y1) * 0.01 || 1;
    y0 -= pad; y1 += pad;
    const sx = x => LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    const sy = y => TOP + (y1 - y) / (y1 - y0) * (H - TOP - BOTTOM);

    for (const band of bands) {
      const a = sx(Math.max(x0, band.from)), b = sx(Math.min(x1, band.to));
      const rect = element('rect', { x: a, y: TOP, width: Math.max(2, b - a), height: H - TOP - BOTTOM, fill: 'rgba(214, 69, 65, 0.18)', class: 'rollback-band' }, svg);
      element('title', {}, rect).textContent = band.title;
      element('line', { x1: a, x2: a, y1: TOP, y2: H - BOTTOM, stroke: '#d64541', 'stroke-dasharray': '4 3' }, svg);
    }
    for (const t of ticks(y0, y1, 5)) {
      element('line', { x1: LEFT, x2: W - RIGHT, y1: sy(t), y2: sy(t), stroke: '#e3e7ec' }, svg);
      element('text', { x: LEFT - 6, y: sy(t) + 4, 'text-anchor': 'end' }, svg).textContent = label(t);
    }
    for (const t of ticks(x0, x1, 8)) {
      if (Math.abs(t - Math.round(t)) > 1e-9) continue;
      element('line', { x1: sx(t), x2: sx(t), y1: H - BOTTOM, y2: H - BOTTOM + 4, stroke: '#8a94a3' }, svg);
      element('text', { x: sx(t), y: H - BOTTOM + 16, 'text-anchor': 'middle' }, svg).textContent = String(t);
    }
    element('line', { x1: LEFT, x2: W - RIGHT, y1: H - BOTTOM, y2: H - BOTTOM, stroke: '#8a94a3' }, svg);
    element('line', { x1: LEFT, x2: LEFT, y1: TOP, y2: H - BOTTOM, stroke: '#8a94a3' }, svg);
    element('text', { x: (LEFT + W - RIGHT) / 2, y: H - 4, 'text-anchor': 'middle' }, svg).textContent = 'iteration';

    element('polyline', { points: points.map(p => sx(p.x) + ',' + sy(p.y)).join(' '), fill: 'none', stroke: '#1a62b8', 'stroke-width': 2 }, svg);
    for (const p of points) {
      const dot = element('circle', { cx: sx(p.x), cy: sy(p.y), r: 3, fill: '#1a62b8', class: 'point' }, svg);
      element('title', {}, dot).textContent = 'iteration ' + p.x + ': ' + p.y.toPrecision(8);
    }
  }

  return { draw };
})();
