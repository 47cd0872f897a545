// A holding's fair value over time: the series is in the chart element's data-series (JSON,
// [[date, 万元], ...]), drawn with the vendored ECharts; no inline script (CSP).
(function () {
  const element = document.getElementById("fair-value-chart");
  if (!element || !window.echarts) return;
  const series = JSON.parse(element.dataset.series || "[]");
  const chart = window.echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 20, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: element.dataset.label },
    series: [{ type: "line", step: "end", data: series, name: element.dataset.label }],
  });
  window.addEventListener("resize", () => chart.resize());
})();
