// Charts with Chart.js (Debian's libjs-chart.js, embedded and served by pingpostd), loaded the
// first time a page draws one.
import { h } from './dom.js';

let loading = null;
function chartLib() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = new URL('../vendor/chart.min.js', import.meta.url).href;
      s.onload = () => resolve(window.Chart);
      s.onerror = () => reject(new Error('Chart library failed to load'));
      document.head.append(s);
    });
  }
  return loading;
}

const COLORS = ['#1d4ed8', '#15803d', '#b45309', '#b91c1c', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f'];

// A chart in a box; the data is also given as a table for screen readers (the canvas is
// described by it). kind: 'line' | 'bar'. series: [{label, data: [numbers], axis: 'y'|'y1'}].
export function chart(title, labels, series, { kind = 'line', money = false } = {}) {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  const box = h('figure', { class: 'panel' }, h('figcaption', {}, h('strong', {}, title)), h('div', { class: 'chartbox' }, canvas),
    h('details', {}, h('summary', {}, 'Data as a table'), h('div', { class: 'tablewrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Period'), series.map(s => h('th', { scope: 'col', class: 'num' }, s.label)))),
      h('tbody', {}, labels.map((l, i) => h('tr', {}, h('td', {}, l), series.map(s => h('td', { class: 'num' }, String(s.data[i] ?? 0))))))))));
  // The page puts the box in the document after this returns: draw once it is there (a page
  // left before that never draws it).
  let frames = 0;
  const draw = Chart => {
    if (!canvas.isConnected) {
      if (++frames < 120) requestAnimationFrame(() => draw(Chart));
      return;
    }
    const twoAxes = series.some(s => s.axis === 'y1');
    new Chart(canvas, {
      type: kind,
      data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.data, yAxisID: s.axis || 'y',
        borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length] + (kind === 'bar' ? 'cc' : '33'),
        tension: 0.2, fill: false, pointRadius: labels.length > 60 ? 0 : 3 })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false },
        scales: twoAxes ? { y: { beginAtZero: true, position: 'left' }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } }
          : { y: { beginAtZero: true } },
        plugins: { legend: { position: 'bottom' } } },
    });
  };
  chartLib().then(draw).catch(e => box.append(h('p', { class: 'error' }, e.message)));
  return box;
}
