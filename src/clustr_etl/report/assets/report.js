/* clustr-etl report: draws the ECharts options embedded in #report-data, runs the rules table. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var rules = data.rules;
  var charts = [];

  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function fmt(value, digits) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
  }
  function ruleText(row) {
    return "<b>" + esc(row[0]) + "</b> → <b>" + esc(row[1]) + "</b><br>support " + fmt(row[2], 4) +
      ", confidence " + fmt(row[3], 3) + ", lift " + fmt(row[4], 2) + ", " + row[8] + " items";
  }
  var formatters = {
    "rules-scatter": function (p) { return ruleText(rules.rows[p.data[4]]); },
    "rules-matrix": function (p) {
      return "<b>" + esc(p.data.lhs) + " + …</b> → <b>" + esc(p.data.rhs) + "</b><br>" + p.data.value[4] +
        " rules, mean lift " + fmt(p.data.value[2], 2) + ", support " + fmt(p.data.value[3], 4);
    },
    "rules-graph": function (p) { return p.dataType === "edge" ? "" : esc(p.data.value); }
  };

  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var key = el.getAttribute("data-chart");
    var option = data.charts[key];
    if (!option) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    var formatter = formatters[key];
    if (formatter) { option.tooltip = Object.assign({}, option.tooltip, { formatter: formatter, confine: true }); }
    chart.setOption(option);
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
    if (key === "rules-scatter") { scatterToggle(chart, option); }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  function scatterToggle(chart, option) {
    var lift = option.visualMap, twoKey = data.twoKey;
    document.querySelectorAll("[data-scatter-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        var view = button.getAttribute("data-scatter-view");
        chart.setOption({ visualMap: view === "two-key" ? twoKey : lift }, { replaceMerge: ["visualMap"] });
        document.querySelectorAll("[data-scatter-view]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
      });
    });
  }

  // The rules table: sort, filter by minimum lift and confidence and by product name, CSV download.
  var table = document.getElementById("rules-table-body");
  if (!table) { return; }
  var state = { sort: 4, desc: true, shownLimit: 500 };
  var inputs = {
    lift: document.getElementById("filter-lift"),
    confidence: document.getElementById("filter-confidence"),
    search: document.getElementById("filter-search")
  };
  var counter = document.getElementById("rules-table-count");
  var numeric = [false, false, true, true, true, true, true, true, true];

  function matching() {
    var minLift = parseFloat(inputs.lift.value) || 0;
    var minConfidence = parseFloat(inputs.confidence.value) || 0;
    var words = inputs.search.value.toLowerCase().trim();
    var rows = rules.rows.filter(function (r) {
      return (r[4] || 0) >= minLift && (r[3] || 0) >= minConfidence &&
        (!words || (r[0] + " " + r[1]).toLowerCase().indexOf(words) >= 0);
    });
    var column = state.sort, sign = state.desc ? -1 : 1;
    rows.sort(function (a, b) {
      var x = a[column], y = b[column];
      if (x === y) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return (numeric[column] ? x - y : String(x).localeCompare(String(y))) * sign;
    });
    return rows;
  }
  function cell(value, column) {
    if (!numeric[column]) { return '<td class="name">' + esc(value) + "</td>"; }
    var digits = [0, 0, 5, 3, 2, 5, 2, 0, 0][column];
    return '<td class="num">' + (value === null ? "∞" : fmt(value, digits)) + "</td>";
  }
  function render() {
    var rows = matching();
    var html = rows.slice(0, state.shownLimit).map(function (r) {
      return "<tr>" + r.map(cell).join("") + "</tr>";
    }).join("");
    table.innerHTML = html;
    counter.textContent = rows.length.toLocaleString("en") + " of " + rules.rows.length.toLocaleString("en") +
      " rules match" + (rows.length > state.shownLimit ? " (first " + state.shownLimit + " listed; the CSV has all)" : "");
    document.querySelectorAll("#rules-grid th[data-column]").forEach(function (th) {
      var c = Number(th.getAttribute("data-column"));
      th.className = "sortable" + (numeric[c] ? " num" : "") + (c === state.sort ? (state.desc ? " sorted-desc" : " sorted-asc") : "");
    });
  }
  document.querySelectorAll("#rules-grid th[data-column]").forEach(function (th) {
    th.addEventListener("click", function () {
      var c = Number(th.getAttribute("data-column"));
      state.desc = c === state.sort ? !state.desc : numeric[c];
      state.sort = c;
      render();
    });
  });
  Object.keys(inputs).forEach(function (k) { inputs[k].addEventListener("input", render); });
  document.getElementById("rules-download").addEventListener("click", function () {
    var quote = function (v) { return v === null ? "" : /[",\n]/.test(String(v)) ? '"' + String(v).replace(/"/g, '""') + '"' : String(v); };
    var lines = [rules.columns.join(",")].concat(matching().map(function (r) { return r.map(quote).join(","); }));
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
    link.download = "bundle_rules.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
  render();
})();
