/*
 * The dashboard's charts, drawn with the vendored Chart.js (static/vendor/chart.js), without
 * inline script (CSP). Each chart's figures come from the page, in a data attribute:
 *
 *   <figure class="chart-card">
 *     <div class="chart-box" hidden><canvas data-chart='{"type": "line", "format": "rmb",
 *       "labels": [...], "series": [{"label": "...", "data": [...], "color": "brand"}]}'></canvas></div>
 *     <details class="chart-data" open>…the same figures as a table…</details>
 *   </figure>
 *
 * type: line, bar or hbar (horizontal bars); format: rmb, pct (fractions) or int; units (rmb):
 * [[divisor, name], …] for large amounts; a series' color names a colour of app.css; "links"
 * (optional) opens a page when a bar is clicked.
 * Without JavaScript (or Chart.js) the tables stay open and the empty chart boxes stay hidden.
 */
(function () {
  "use strict";

  var canvases = Array.prototype.slice.call(document.querySelectorAll("canvas[data-chart]"));
  if (!canvases.length || !window.Chart) {
    return;
  }

  var css = window.getComputedStyle(document.documentElement);
  function token(name, fallback) {
    return (css.getPropertyValue(name) || "").trim() || fallback;
  }
  var COLORS = {
    brand: token("--brand", "#8a1c1c"),
    blue: token("--link", "#1c5696"),
    amber: token("--warning-accent", "#d08a00"),
    grey: "#9aa1ab",
  };
  var TEXT = token("--text-soft", "#3d444d");
  var GRID = token("--divider", "#eceef1");

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = TEXT;
  Chart.defaults.animation = false; // figures, not a show; and screenshots catch the final state

  var number = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
  var millions = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

  function formatter(format, precise, units) {
    if (format === "rmb") {
      // units: [[1e9, "bn"], [1e6, "m"]] (or 亿 and 万 in Chinese), largest first, as the page's tiles.
      units = units || [[1e9, "bn"], [1e6, "m"]];
      return function (v) {
        if (v === null || v === undefined) return "—";
        for (var i = 0; i < units.length; i++) {
          if (Math.abs(v) >= units[i][0]) return "¥" + millions.format(v / units[i][0]) + " " + units[i][1];
        }
        return "¥" + number.format(v);
      };
    }
    if (format === "pct") {
      return function (v) {
        if (v === null || v === undefined) return "n/a";
        return (v * 100).toFixed(precise ? 1 : 0) + " %";
      };
    }
    return function (v) {
      return v === null || v === undefined ? "—" : number.format(v);
    };
  }

  function alpha(hex, a) {
    var n = parseInt(hex.replace("#", ""), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  function datasets(spec) {
    return spec.series.map(function (s) {
      var color = COLORS[s.color] || COLORS.brand;
      var set = { label: s.label, data: s.data, borderColor: color, backgroundColor: color };
      if (spec.type === "line") {
        set.borderWidth = 2.5;
        set.pointRadius = 3;
        set.pointHoverRadius = 5;
        set.tension = 0.2;
        set.spanGaps = false;
        if (s.dashed) {
          set.borderDash = [6, 4];
          set.borderWidth = 2;
          set.pointRadius = 2;
        }
      } else {
        set.backgroundColor = alpha(color, 0.85);
        set.hoverBackgroundColor = color;
        set.borderRadius = 3;
        set.maxBarThickness = 28;
      }
      return set;
    });
  }

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    var figure = canvas.closest(".chart-card");
    var box = canvas.parentNode;
    if (!spec.labels.length) {
      return; // nothing to draw: the table says so
    }
    var horizontal = spec.type === "hbar";
    var valueAxis = horizontal ? "x" : "y";
    var categoryAxis = horizontal ? "y" : "x";
    var tick = formatter(spec.format, false, spec.units);
    var label = formatter(spec.format, true, spec.units);
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true,
      grid: { color: GRID },
      border: { display: false },
      ticks: { callback: tick, maxTicksLimit: 6 },
    };
    if (spec.format === "pct") {
      scales[valueAxis].min = 0;
      scales[valueAxis].max = 1;
    }
    if (spec.format === "int") {
      scales[valueAxis].ticks.precision = 0;
    }
    scales[categoryAxis] = {
      grid: { display: false },
      ticks: { autoSkip: !horizontal, autoSkipPadding: 12, maxRotation: 0 },
    };
    if (horizontal) {
      // Long names (buildings, topics) are shortened on narrow screens; the tooltip and table have them whole.
      scales[categoryAxis].ticks.callback = function (value) {
        var text = this.getLabelForValue(value);
        var room = canvas.clientWidth < 480 ? 18 : 30;
        return text.length > room ? text.slice(0, room - 1) + "…" : text;
      };
    }
    var many = spec.series.length > 1;
    box.hidden = false;
    new Chart(canvas, {
      type: horizontal ? "bar" : spec.type,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: {
            display: many,
            position: "bottom",
            labels: { boxWidth: 8, boxHeight: 8, padding: 14, usePointStyle: spec.type === "line" },
          },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var v = horizontal ? ctx.parsed.x : ctx.parsed.y;
                return (many ? ctx.dataset.label + ": " : "") + label(v);
              },
            },
          },
        },
        onClick: spec.links
          ? function (event, elements) {
              if (elements.length && spec.links[elements[0].index]) {
                window.location.href = spec.links[elements[0].index];
              }
            }
          : undefined,
        onHover: spec.links
          ? function (event, elements) {
              event.native.target.style.cursor = elements.length ? "pointer" : "default";
            }
          : undefined,
      },
    });
    // The chart is drawn: its table folds away (still one click away, and read by screen readers).
    var details = figure && figure.querySelector("details.chart-data");
    if (details) {
      details.open = false;
    }
  }

  canvases.forEach(draw);
})();
